package testbed

import (
	"fmt"
	"path/filepath"
)

// KillAPIServer kills kube-apiserver, as a crash or a lost node would, and leaves etcd running, so a
// test can watch what its code does while the apiserver is gone. A graceful stop would not do: the
// apiserver stops listening at once but keeps serving open watches until they end, so watchers would
// not notice for as long as it lingers. StartAPIServer brings it back.
func (e *Env) KillAPIServer() error {
	pids := processesMentioning(filepath.Join(e.dir, "apiserver") + string(filepath.Separator))
	if len(pids) != 1 {
		return fmt.Errorf("want one kube-apiserver process of this test bed, found %d", len(pids))
	}
	if err := kill(pids[0]); err != nil {
		return fmt.Errorf("killing kube-apiserver: %w", err)
	}
	// envtest sees the process has exited and only tidies up.
	if err := e.Environment.ControlPlane.APIServer.Stop(); err != nil {
		return fmt.Errorf("stopping kube-apiserver: %w", err)
	}
	return nil
}

// StartAPIServer restarts the kube-apiserver KillAPIServer killed, on the same address with the same
// data, certificates and users, so clients built before work again unchanged; it returns once the
// apiserver is ready.
func (e *Env) StartAPIServer() error {
	if err := e.Environment.ControlPlane.APIServer.Start(); err != nil {
		return fmt.Errorf("restarting kube-apiserver: %w%s", err, e.logTails())
	}
	return nil
}
