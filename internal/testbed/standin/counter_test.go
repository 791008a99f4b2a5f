package standin

import "testing"

// A LIST is a GET of a collection, cluster-wide or in a namespace; a GET of one object, a
// Namespace among them, is not; discovery is neither.
func TestClassify(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/pods":                                                "list",
		"/api/v1/namespaces/llm/pods":                                 "list",
		"/api/v1/namespaces":                                          "list",
		"/api/v1/namespaces/llm":                                      "get",
		"/api/v1/namespaces/llm/pods/p":                               "get",
		"/apis/apps/v1/deployments":                                   "list",
		"/apis/apps/v1/namespaces/x/deployments/d":                    "get",
		"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/a.b": "get",
		"/api":          "discovery",
		"/api/v1":       "discovery",
		"/apis":         "discovery",
		"/apis/apps/v1": "discovery",
		"/version":      "discovery",
	} {
		got := "get"
		switch {
		case discoveryPath(path):
			got = "discovery"
		case isList(Request{Method: "GET", Path: path}):
			got = "list"
		}
		if got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
}
