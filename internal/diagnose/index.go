package diagnose

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/igw-dev/igw/api/convert"
	llmdv1alpha2 "github.com/igw-dev/igw/api/llmd/v1alpha2"
	v1 "github.com/igw-dev/igw/api/v1"
	xv1alpha2 "github.com/igw-dev/igw/api/x/v1alpha2"
)

// The groups and kinds the analyzers read.
const (
	groupPool      = "inference.networking.k8s.io"
	groupAlpha     = "inference.networking.x-k8s.io"
	groupLLMD      = "llm-d.ai"
	groupGateway   = "gateway.networking.k8s.io"
	groupGatewayX  = "gateway.networking.x-k8s.io"
	kindPool       = "InferencePool"
	kindObjective  = "InferenceObjective"
	kindGateway    = "Gateway"
	kindService    = "Service"
	crdGroup       = "apiextensions.k8s.io"
	poolCRDName    = "inferencepools.inference.networking.k8s.io"
	labelSvcName   = "kubernetes.io/service-name"
	kindHTTPRoute  = "HTTPRoute"
	kindRefGrant   = "ReferenceGrant"
	kindConfigMap  = "ConfigMap"
	kindDeployment = "Deployment"
)

var (
	gkPool          = schema.GroupKind{Group: groupPool, Kind: kindPool}
	gkAlphaPool     = schema.GroupKind{Group: groupAlpha, Kind: kindPool}
	gkXObjective    = schema.GroupKind{Group: groupAlpha, Kind: kindObjective}
	gkLLMDObjective = schema.GroupKind{Group: groupLLMD, Kind: kindObjective}
	gkHTTPRoute     = schema.GroupKind{Group: groupGateway, Kind: kindHTTPRoute}
	gkGateway       = schema.GroupKind{Group: groupGateway, Kind: kindGateway}
	gkGatewayClass  = schema.GroupKind{Group: groupGateway, Kind: "GatewayClass"}
	gkRefGrant      = schema.GroupKind{Group: groupGateway, Kind: kindRefGrant}
	gkService       = schema.GroupKind{Kind: kindService}
	gkCRD           = schema.GroupKind{Group: crdGroup, Kind: "CustomResourceDefinition"}
	gkPod           = schema.GroupKind{Kind: "Pod"}
	gkEndpointSlice = schema.GroupKind{Group: "discovery.k8s.io", Kind: "EndpointSlice"}
)

// key names a namespaced object of one group.
type key struct{ group, ns, name string }

// index is the snapshot's objects decoded into the shapes the analyzers read, built once.
type index struct {
	kinds       map[schema.GroupKind]int
	pools       []*pool
	poolByKey   map[key]*pool
	routes      []*route
	gateways    map[key]*gateway
	gatewayList []*gateway
	classes     map[string]*gatewayClass
	classList   []*gatewayClass
	grants      []*referenceGrant
	services    map[key]*service
	slices      map[key][]*discoveryv1.EndpointSlice
	workloads   []*workload
	objectives  []*objective
	configMaps  []*configMap
	crds        map[string]*unstructured.Unstructured
	namespaces  map[string]map[string]string
	unreadable  map[*unstructured.Unstructured]error
	other       map[schema.GroupKind][]*unstructured.Unstructured
	deployments []*workload
	// byNS are the workloads of each namespace: a selector selects only in its own.
	byNS map[string][]*workload
	// Memos of what many analyzers ask for the same objects.
	routers  *[]bodyRouter
	pickers  map[*pool][]*workload
	refsMemo map[*route][]poolRef
}

type pool struct {
	u     *unstructured.Unstructured
	alpha bool
	*v1.InferencePool
}

type route struct {
	u *unstructured.Unstructured
	*httpRoute
}

type gateway struct {
	u *unstructured.Unstructured
	*gatewayObj
}

type gatewayClass struct {
	u *unstructured.Unstructured
	*gatewayClassObj
}

type service struct {
	u *unstructured.Unstructured
	*corev1.Service
}

type objective struct {
	u *unstructured.Unstructured
	*llmdv1alpha2.InferenceObjective
}

type configMap struct {
	u *unstructured.Unstructured
	*corev1.ConfigMap
}

// index returns the snapshot's index, building it on first use.
func (s *Snapshot) index() *index {
	if s.idx == nil {
		s.idx = buildIndex(s.Objects)
	}
	return s.idx
}

func buildIndex(objs []*unstructured.Unstructured) *index {
	ix := &index{kinds: map[schema.GroupKind]int{}, poolByKey: map[key]*pool{}, gateways: map[key]*gateway{},
		classes: map[string]*gatewayClass{}, services: map[key]*service{}, slices: map[key][]*discoveryv1.EndpointSlice{},
		crds: map[string]*unstructured.Unstructured{}, namespaces: map[string]map[string]string{},
		unreadable: map[*unstructured.Unstructured]error{}, other: map[schema.GroupKind][]*unstructured.Unstructured{},
		byNS: map[string][]*workload{}, pickers: map[*pool][]*workload{}, refsMemo: map[*route][]poolRef{}}
	for _, u := range objs {
		gk := u.GroupVersionKind().GroupKind()
		ix.kinds[gk]++
		if err := ix.add(gk, u); err != nil {
			ix.unreadable[u] = err
		}
	}
	return ix
}

// decode reads u into a typed value; an object that does not decode is left to validate.
func decode[T any](u *unstructured.Unstructured) (*T, error) {
	v := new(T)
	return v, runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, v)
}

func (ix *index) add(gk schema.GroupKind, u *unstructured.Unstructured) error {
	switch gk {
	case gkPool, gkAlphaPool:
		return ix.addPool(u, gk == gkAlphaPool)
	case gkHTTPRoute:
		r, err := decode[httpRoute](u)
		if err == nil {
			ix.routes = append(ix.routes, &route{u, r})
		}
		return err
	case gkGateway:
		g, err := decode[gatewayObj](u)
		if err == nil {
			gw := &gateway{u, g}
			ix.gateways[key{groupGateway, u.GetNamespace(), u.GetName()}] = gw
			ix.gatewayList = append(ix.gatewayList, gw)
		}
		return err
	case gkGatewayClass:
		c, err := decode[gatewayClassObj](u)
		if err == nil {
			gc := &gatewayClass{u, c}
			ix.classes[u.GetName()] = gc
			ix.classList = append(ix.classList, gc)
		}
		return err
	case gkRefGrant:
		g, err := decode[referenceGrant](u)
		if err == nil {
			ix.grants = append(ix.grants, g)
		}
		return err
	case gkXObjective, gkLLMDObjective:
		o, err := decode[llmdv1alpha2.InferenceObjective](u)
		if err == nil {
			ix.objectives = append(ix.objectives, &objective{u, o})
		}
		return err
	case gkCRD:
		ix.crds[u.GetName()] = u
		return nil
	}
	return ix.addCore(gk, u)
}

func (ix *index) addPool(u *unstructured.Unstructured, alpha bool) error {
	var p *v1.InferencePool
	if alpha {
		a, err := decode[xv1alpha2.InferencePool](u)
		if err != nil {
			return err
		}
		p, _ = convert.PoolFromAlpha(a)
	} else {
		var err error
		if p, err = decode[v1.InferencePool](u); err != nil {
			return err
		}
	}
	group := groupPool
	if alpha {
		group = groupAlpha
	}
	pl := &pool{u, alpha, p}
	ix.pools = append(ix.pools, pl)
	ix.poolByKey[key{group, u.GetNamespace(), u.GetName()}] = pl
	return nil
}

// addCore indexes the built-in kinds: Services, EndpointSlices, workloads, ConfigMaps, Namespaces.
func (ix *index) addCore(gk schema.GroupKind, u *unstructured.Unstructured) error {
	switch gk {
	case gkService:
		s, err := decode[corev1.Service](u)
		if err == nil {
			ix.services[key{"", u.GetNamespace(), u.GetName()}] = &service{u, s}
		}
		return err
	case gkEndpointSlice:
		es, err := decode[discoveryv1.EndpointSlice](u)
		if err == nil {
			k := key{"", u.GetNamespace(), u.GetLabels()[labelSvcName]}
			ix.slices[k] = append(ix.slices[k], es)
		}
		return err
	case schema.GroupKind{Kind: kindConfigMap}:
		cm, err := decode[corev1.ConfigMap](u)
		if err == nil && isAdapterConfigMap(u) {
			ix.configMaps = append(ix.configMaps, &configMap{u, cm})
		}
		return err
	case schema.GroupKind{Kind: "Namespace"}:
		ix.namespaces[u.GetName()] = u.GetLabels()
		return nil
	}
	w, ok, err := readWorkload(gk, u)
	if ok && err == nil {
		ix.workloads = append(ix.workloads, w)
		ix.byNS[u.GetNamespace()] = append(ix.byNS[u.GetNamespace()], w)
		if gk.Kind == kindDeployment {
			ix.deployments = append(ix.deployments, w)
		}
	}
	if !ok {
		ix.other[gk] = append(ix.other[gk], u)
	}
	return err
}

// workload is a pod, or the pod template of a controller that makes pods.
type workload struct {
	u      *unstructured.Unstructured
	labels map[string]string
	spec   corev1.PodSpec
	pod    *corev1.Pod
	// replicas is the number of pods wanted (1 for a pod); -1 when the kind does not say.
	replicas int32
	// available is the ready (Deployment: available) replicas its status reports; hasStatus
	// says whether it reports any (objects written by hand have none).
	available int32
	hasStatus bool
}

func readWorkload(gk schema.GroupKind, u *unstructured.Unstructured) (*workload, bool, error) {
	switch gk {
	case schema.GroupKind{Kind: "Pod"}:
		p, err := decode[corev1.Pod](u)
		if err != nil {
			return nil, true, err
		}
		return &workload{u: u, labels: p.Labels, spec: p.Spec, pod: p, replicas: 1, hasStatus: p.Status.Phase != ""}, true, nil
	case schema.GroupKind{Group: "apps", Kind: kindDeployment}:
		d, err := decode[appsv1.Deployment](u)
		if err != nil {
			return nil, true, err
		}
		return templated(u, d.Spec.Template, d.Spec.Replicas, d.Status.AvailableReplicas, d.Status.ObservedGeneration > 0), true, nil
	case schema.GroupKind{Group: "apps", Kind: "StatefulSet"}:
		d, err := decode[appsv1.StatefulSet](u)
		if err != nil {
			return nil, true, err
		}
		return templated(u, d.Spec.Template, d.Spec.Replicas, d.Status.ReadyReplicas, d.Status.ObservedGeneration > 0), true, nil
	case schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}:
		d, err := decode[appsv1.ReplicaSet](u)
		if err != nil {
			return nil, true, err
		}
		return templated(u, d.Spec.Template, d.Spec.Replicas, d.Status.ReadyReplicas, d.Status.ObservedGeneration > 0), true, nil
	case schema.GroupKind{Group: "apps", Kind: "DaemonSet"}:
		d, err := decode[appsv1.DaemonSet](u)
		if err != nil {
			return nil, true, err
		}
		w := templated(u, d.Spec.Template, nil, d.Status.NumberReady, d.Status.ObservedGeneration > 0)
		w.replicas = -1
		return w, true, nil
	case schema.GroupKind{Group: "batch", Kind: "Job"}:
		d, err := decode[batchv1.Job](u)
		if err != nil {
			return nil, true, err
		}
		return templated(u, d.Spec.Template, d.Spec.Parallelism, 0, false), true, nil
	case schema.GroupKind{Group: "leaderworkerset.x-k8s.io", Kind: "LeaderWorkerSet"}:
		return leaderWorkerSet(u)
	}
	return nil, false, nil
}

func templated(u *unstructured.Unstructured, t corev1.PodTemplateSpec, replicas *int32, available int32, hasStatus bool) *workload {
	return &workload{u: u, labels: t.Labels, spec: t.Spec, replicas: deref(replicas, 1), available: available, hasStatus: hasStatus}
}

// leaderWorkerSet reads the worker template of a LeaderWorkerSet (multi-node model servers,
// as llm-d deploys them); its pods carry the template's labels.
func leaderWorkerSet(u *unstructured.Unstructured) (*workload, bool, error) {
	m, found, err := unstructured.NestedMap(u.Object, "spec", "leaderWorkerTemplate", "workerTemplate")
	if !found || err != nil {
		return nil, true, err
	}
	var t corev1.PodTemplateSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &t); err != nil {
		return nil, true, err
	}
	replicas, ok, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
	if !ok {
		replicas = 1
	}
	r := int32(replicas)
	return templated(u, t, &r, 0, false), true, nil
}
