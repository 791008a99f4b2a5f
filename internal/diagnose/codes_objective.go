package diagnose

// InferenceObjectives: what objective.go finds.
const (
	// ObjectivePoolMissing: poolRef names a pool that does not exist in the objective's namespace.
	ObjectivePoolMissing Code = "IGW1201"
	// ObjectiveLegacyIgnored: an objective in inference.networking.x-k8s.io where the picker reads
	// llm-d.ai, so it is ignored.
	ObjectiveLegacyIgnored Code = "IGW1202"
	// ObjectiveInBothGroups: the same objective exists in both groups.
	ObjectiveInBothGroups Code = "IGW1203"
	// ObjectivePrioritiesEqual: every objective of a pool has the same priority.
	ObjectivePrioritiesEqual Code = "IGW1204"
	// ObjectivePoolGroupMismatch: poolRef.group is the other API version's.
	ObjectivePoolGroupMismatch Code = "IGW1205"
	// ObjectiveGroupNotRead: an llm-d.ai objective where the picker is one that reads only
	// inference.networking.x-k8s.io.
	ObjectiveGroupNotRead Code = "IGW1206"
)
