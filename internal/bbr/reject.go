package bbr

import (
	"encoding/json"
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/igw-dev/igw/internal/bbr/scan"
)

// Error codes in the OpenAI error body. They are part of bbr's interface:
// clients and alerts match on them, so never rename one.
const (
	CodeInvalidJSON         = "invalid_json"
	CodeNotObject           = "body_not_object"
	CodeDuplicateModel      = "duplicate_model"
	CodeDuplicateField      = "duplicate_field"
	CodeModelNotString      = "model_not_string"
	CodeModelEmpty          = "model_empty"
	CodeModelInvalid        = "model_invalid_characters"
	CodeModelTooLong        = "model_too_long"
	CodeModelRequired       = "model_required"
	CodeFieldRequired       = "field_required"
	CodeFieldInvalid        = "field_invalid"
	CodeFieldTooLong        = "field_too_long"
	CodeBodyTooLarge        = "request_too_large"
	CodeUnsupportedEncoding = "unsupported_content_encoding"
	CodePartialBody         = "body_not_fully_visible"
	CodeOverloaded          = "overloaded"
)

// retryAfterSeconds is what a shed request is told to wait: held bytes
// drain as fast as requests complete their model, which takes well under a
// second for all but the largest bodies.
const retryAfterSeconds = "1"

// Reject is a request bbr answers itself, with an OpenAI-style error.
type Reject struct {
	Status  int
	Code    string
	Param   string // "" is sent as null
	Message string
	// RetryAfter, when set, is sent as the retry-after header, which the
	// OpenAI SDKs honour when they retry.
	RetryAfter string
}

func rejectf(status int, code, param, format string, args ...any) *Reject {
	return &Reject{Status: status, Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// overloaded is the answer to a request shed for the held-bytes budget.
func overloaded(budget int64) *Reject {
	r := rejectf(503, CodeOverloaded, "",
		"bbr is holding its limit of %d request body bytes for requests whose \"model\" has not arrived yet; retry shortly", budget)
	r.RetryAfter = retryAfterSeconds
	return r
}

// rejectScan maps a scanner error to the client's answer.
func rejectScan(err error) *Reject {
	se, ok := err.(*scan.Error)
	if !ok {
		return rejectf(400, CodeInvalidJSON, "", "request body is not valid JSON: %v", err)
	}
	switch se.Code {
	case scan.ErrNotObject:
		return rejectf(400, CodeNotObject, "", "request body must be a JSON object")
	case scan.ErrDuplicate:
		code := CodeDuplicateField
		if se.Field == "model" {
			code = CodeDuplicateModel
		}
		return rejectf(400, code, se.Field, "the top-level %q key appears more than once; send it exactly once", se.Field)
	}
	return rejectf(400, CodeInvalidJSON, "", "request body is not valid JSON: %s", se.Error())
}

type openAIError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    string  `json:"code"`
	} `json:"error"`
}

// Body is the JSON error body.
func (r *Reject) Body() []byte {
	var e openAIError
	e.Error.Message, e.Error.Type, e.Error.Code = r.Message, "invalid_request_error", r.Code
	if r.Status >= 500 {
		e.Error.Type = "server_error"
	}
	if r.Param != "" {
		e.Error.Param = &r.Param
	}
	b, _ := json.Marshal(e)
	return b
}

// Response is the ImmediateResponse that carries the rejection.
func (r *Reject) Response() *extprocv3.ProcessingResponse {
	headers := []*corev3.HeaderValueOption{setHeader("content-type", "application/json")}
	if r.RetryAfter != "" {
		headers = append(headers, setHeader("retry-after", r.RetryAfter))
	}
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ImmediateResponse{
		ImmediateResponse: &extprocv3.ImmediateResponse{
			Status:  &typev3.HttpStatus{Code: typev3.StatusCode(r.Status)},
			Headers: &extprocv3.HeaderMutation{SetHeaders: headers},
			Body:    r.Body(),
			Details: "bbr_" + r.Code,
		},
	}}
}

func setHeader(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{
		Header:       &corev3.HeaderValue{Key: k, RawValue: []byte(v)},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
	}
}
