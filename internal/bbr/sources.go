package bbr

import (
	"context"
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/igw-dev/igw/internal/bbr/adapters"
)

// startSources loads the adapter mapping sources. A bad mapping file stops
// bbr from starting; a missing or unreachable cluster never does.
func (s *Server) startSources(ctx context.Context) error {
	if s.opts.BaseModelHeader == "" {
		return nil
	}
	if s.opts.AdaptersFile != "" {
		if err := s.startFile(ctx); err != nil {
			return err
		}
	}
	return s.startConfigMaps(ctx)
}

func (s *Server) startFile(ctx context.Context) error {
	st := s.newStatus("file", true, s.opts.AdaptersFile)
	f := &adapters.FileSource{
		Path: s.opts.AdaptersFile, Store: s.store, Log: s.log, Interval: s.opts.adaptersPoll,
		OnError: func(err error) { st.SetError(err); s.metrics.SourceError("file") },
		OnLoad:  st.MarkSynced,
	}
	raw, err := f.Load()
	if err != nil {
		return fmt.Errorf("--adapters-file: %w", err)
	}
	s.sources = append(s.sources, st)
	go f.Run(ctx, raw)
	return nil
}

func (s *Server) startConfigMaps(ctx context.Context) error {
	st := s.newStatus("configmaps", false, "")
	s.sources = append(s.sources, st)
	if s.opts.ConfigMaps == "false" {
		st.Update(func(v *adapters.StatusView) { v.Detail = "disabled by --configmaps=false" })
		return nil
	}
	cfg, how, err := s.kubeConfig()
	if err != nil {
		if s.opts.ConfigMaps == "true" {
			return fmt.Errorf("--configmaps=true: %w", err)
		}
		const msg = "no cluster configuration found; adapter ConfigMaps are not watched"
		st.Update(func(v *adapters.StatusView) { v.Detail = msg })
		s.log.Info(msg)
		return nil
	}
	client, err := adapters.NewCoreClient(cfg)
	if err != nil {
		return fmt.Errorf("building a Kubernetes client from %s: %w", how, err)
	}
	ns := s.opts.Namespace
	if ns == "" {
		ns = os.Getenv("NAMESPACE")
	}
	st.Update(func(v *adapters.StatusView) { v.Enabled, v.Detail = true, "watching "+nsLabel(ns)+" via "+how })
	src := &adapters.ConfigMapSource{Client: client, Namespace: ns, Store: s.store, Log: s.log, Status: st,
		OnError: func() { s.metrics.SourceError("configmaps") }}
	go src.Run(ctx)
	return nil
}

// newStatus registers a source whose state the synced gauge follows.
func (s *Server) newStatus(source string, enabled bool, detail string) *adapters.Status {
	st := adapters.NewStatus(source, enabled, detail)
	st.OnChange(func(v adapters.StatusView) {
		if v.Enabled {
			s.metrics.SourceSynced(v.Source, v.Synced && v.LastError == "")
		}
	})
	return st
}

func nsLabel(ns string) string {
	if ns == "" {
		return "all namespaces"
	}
	return "namespace " + ns
}

// kubeConfig finds a cluster the way client tools do: --kubeconfig, then
// in-cluster, then $KUBECONFIG.
func (s *Server) kubeConfig() (*rest.Config, string, error) {
	if s.opts.Kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", s.opts.Kubeconfig)
		if err != nil {
			return nil, "", fmt.Errorf("--kubeconfig %s: %w", s.opts.Kubeconfig, err)
		}
		return cfg, "--kubeconfig", nil
	}
	if cfg, err := rest.InClusterConfig(); err == nil {
		return cfg, "in-cluster config", nil
	}
	if p := os.Getenv("KUBECONFIG"); p != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", p)
		if err != nil {
			return nil, "", fmt.Errorf("$KUBECONFIG %s: %w", p, err)
		}
		return cfg, "$KUBECONFIG", nil
	}
	return nil, "", fmt.Errorf("no --kubeconfig, no in-cluster service account and no $KUBECONFIG")
}
