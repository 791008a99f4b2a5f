// Package sdkbody builds request bodies the way the official OpenAI Python SDK sends them, for
// tests and benchmarks that must see what real clients send rather than what is convenient.
//
// The SDK's chat.completions.create builds its dict as messages, then model, then the optional
// parameters given, and httpx writes it in that order with compact separators. So the most common
// client puts "model" after the whole message list, which a vision or audio request fills with
// megabytes of base64.
package sdkbody

import (
	"encoding/base64"
	"strconv"
)

// Prompt is the text part that sits before the image.
const Prompt = "What is in this image? Describe it in detail."

// VisionChat returns a chat completion request of exactly size bytes (or the smallest such body,
// when size is below it): one user message with a text part and a base64 JPEG data URL, then
// "model", then max_tokens. The image bytes are noise seeded by the model name, so bodies are
// reproducible and bodies for different models differ throughout.
func VisionChat(model string, size int) []byte {
	prefix := `{"messages":[{"role":"user","content":[{"type":"text","text":` + strconv.Quote(Prompt) +
		`},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,`
	suffix := `"}}]}],"model":` + strconv.Quote(model) + `,"max_tokens":300}`
	n := max(size-len(prefix)-len(suffix), 0)
	b := make([]byte, 0, len(prefix)+n+len(suffix))
	b = append(b, prefix...)
	b = appendBase64(b, n, model)
	return append(b, suffix...)
}

// appendBase64 appends n characters of standard base64 (padding included where n ends a group).
func appendBase64(b []byte, n int, seed string) []byte {
	raw := make([]byte, 3*((n+3)/4))
	x := uint64(0x9E3779B97F4A7C15)
	for _, c := range []byte(seed) {
		x = (x ^ uint64(c)) * 0x100000001B3
	}
	for i := range raw {
		// xorshift: cheap, deterministic, and not compressible into runs.
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		raw[i] = byte(x)
	}
	enc := base64.StdEncoding.AppendEncode(nil, raw)
	return append(b, enc[:n]...)
}
