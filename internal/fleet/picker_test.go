package fleet

import (
	"testing"

	"github.com/igw-dev/igw/internal/modelserver"
)

func families(t *testing.T, page string) modelserver.Families {
	t.Helper()
	f, err := modelserver.ParseNames([]byte(page), pickerNames(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A picker's page: llm-d-router's names win over the older aliases it also writes; series of
// another pool are not this pool's; a page of only the older names is read as such; a page with
// neither is no reading.
func TestReadPicker(t *testing.T) {
	both := `# TYPE llm_d_epp_average_kv_cache_utilization gauge
llm_d_epp_average_kv_cache_utilization{name="a"} 0.25
llm_d_epp_average_kv_cache_utilization{name="b"} 0.75
# TYPE llm_d_epp_ready_endpoints gauge
llm_d_epp_ready_endpoints{name="a"} 3
# TYPE llm_d_epp_per_endpoint_queue_size gauge
llm_d_epp_per_endpoint_queue_size{model_server_endpoint="a-0",name="a"} 1
llm_d_epp_per_endpoint_queue_size{model_server_endpoint="b-0",name="b"} 9
# TYPE inference_pool_average_kv_cache_utilization gauge
inference_pool_average_kv_cache_utilization{name="a"} 0.5
# TYPE go_goroutines gauge
go_goroutines 42
`
	p, ok := readPicker(families(t, both), "a")
	if !ok || p.Metrics != "llm_d_epp" || *p.AvgKVCache != 0.25 || *p.ReadyEndpoints != 3 || p.AvgQueue != nil ||
		len(p.PerEndpointQueue) != 1 || p.PerEndpointQueue["a-0"] != 1 {
		t.Errorf("%+v", p)
	}
	old := `# TYPE inference_pool_average_queue_size gauge
inference_pool_average_queue_size 2
# TYPE inference_pool_per_pod_queue_size gauge
inference_pool_per_pod_queue_size{model_server_pod="x-1"} 2
`
	if p, ok := readPicker(families(t, old), "x"); !ok || p.Metrics != "inference_pool" || *p.AvgQueue != 2 || p.PerEndpointQueue["x-1"] != 2 {
		t.Errorf("%+v", p)
	}
	if p, ok := readPicker(families(t, "# TYPE go_goroutines gauge\ngo_goroutines 42\n"), "x"); ok {
		t.Errorf("a page without pool metrics read as %+v", p)
	}
}
