package sdkbody

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestVisionChatIsTheSDKShapeAtExactSizes(t *testing.T) {
	for _, size := range []int{0, 1 << 10, 1<<20 + 3, 12 << 20} {
		b := VisionChat("gpt-4o", size)
		if size > 300 && len(b) != size {
			t.Fatalf("size %d: got %d bytes", size, len(b))
		}
		var req struct {
			Messages []struct {
				Role    string `json:"role"`
				Content []struct {
					Type     string `json:"type"`
					Text     string `json:"text"`
					ImageURL struct {
						URL string `json:"url"`
					} `json:"image_url"`
				} `json:"content"`
			} `json:"messages"`
			Model     string `json:"model"`
			MaxTokens int    `json:"max_tokens"`
		}
		if err := json.Unmarshal(b, &req); err != nil {
			t.Fatalf("size %d: not JSON: %v", size, err)
		}
		if req.Model != "gpt-4o" || len(req.Messages) != 1 || len(req.Messages[0].Content) != 2 ||
			req.Messages[0].Content[0].Text != Prompt ||
			!strings.HasPrefix(req.Messages[0].Content[1].ImageURL.URL, "data:image/jpeg;base64,") {
			t.Fatalf("size %d: unexpected shape %+v", size, req)
		}
		// messages first, model after them: the order the SDK writes.
		if m, msgs := bytes.Index(b, []byte(`"model":`)), bytes.Index(b, []byte(`"messages":`)); msgs != 1 || m < len(b)-40 {
			t.Fatalf("size %d: messages at %d, model at %d of %d", size, msgs, m, len(b))
		}
	}
}

func TestVisionChatIsDeterministic(t *testing.T) {
	if !bytes.Equal(VisionChat("m", 4096), VisionChat("m", 4096)) {
		t.Fatal("two bodies of the same size differ")
	}
	a, b := VisionChat("model-a", 4096), VisionChat("model-b", 4096)
	if bytes.Equal(a[200:300], b[200:300]) {
		t.Fatal("bodies for different models share their image bytes")
	}
}
