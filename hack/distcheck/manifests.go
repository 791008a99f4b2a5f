package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// sboms: one CycloneDX document per binary, naming the module and the dependencies Go linked.
func (c *checker) sboms() error {
	n := 0
	for _, b := range binaries {
		for _, p := range c.platforms {
			name := fmt.Sprintf("%s_%s_%s_%s.cdx.json", b, c.version, p[0], p[1])
			raw, err := os.ReadFile(filepath.Join(c.dist, name))
			if err != nil {
				return err
			}
			var doc struct {
				BOMFormat string `json:"bomFormat"`
				Metadata  struct {
					Component struct {
						Name    string `json:"name"`
						Version string `json:"version"`
					} `json:"component"`
				} `json:"metadata"`
				Components []struct {
					Name string `json:"name"`
				} `json:"components"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if doc.BOMFormat != "CycloneDX" || !strings.HasPrefix(doc.Metadata.Component.Name, "github.com/igw-dev/igw") {
				return fmt.Errorf("%s: bomFormat %q, component %q", name, doc.BOMFormat, doc.Metadata.Component.Name)
			}
			var grpc bool
			for _, comp := range doc.Components {
				grpc = grpc || comp.Name == "google.golang.org/grpc"
			}
			if !grpc || len(doc.Components) < 10 {
				return fmt.Errorf("%s: %d components, grpc among them: %v", name, len(doc.Components), grpc)
			}
			if _, ok := c.sums[name]; !ok {
				return fmt.Errorf("%s is not in checksums.txt", name)
			}
			n++
		}
	}
	fmt.Printf("    %d CycloneDX documents, one per binary\n", n)
	return nil
}

// cask: every archive the cask downloads exists with the sha256 the cask pins.
func (c *checker) cask() error {
	f, err := os.Open(filepath.Join(c.dist, "homebrew", "Casks", "igwctl.rb"))
	if err != nil {
		return err
	}
	defer f.Close()
	var url string
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := quoted(line, "version"); ok && v != c.version {
			return fmt.Errorf("cask version %q, release %q", v, c.version)
		}
		if v, ok := quoted(line, "url"); ok {
			url = v
		}
		if v, ok := quoted(line, "sha256"); ok {
			name := strings.ReplaceAll(path.Base(url), "#{version}", c.version)
			if c.sums[name] != v {
				return fmt.Errorf("cask pins %s at %s, checksums.txt says %q", name, v, c.sums[name])
			}
			seen[name] = true
		}
	}
	for _, p := range c.platforms {
		if a := c.archive("igwctl", p[0], p[1]); !seen[a] {
			return fmt.Errorf("cask does not install %s", a)
		}
	}
	fmt.Printf("    igwctl.rb installs %d archives at their sha256\n", len(seen))
	return sc.Err()
}

// quoted reads `key "value"` lines of Ruby.
func quoted(line, key string) (string, bool) {
	rest, ok := strings.CutPrefix(line, key+" ")
	if !ok {
		return "", false
	}
	v, ok := strings.CutPrefix(rest, `"`)
	if !ok {
		return "", false
	}
	v, _, ok = strings.Cut(v, `"`)
	return v, ok
}

// krew runs krew's own validator, which installs the plugin for every platform of the manifest
// with krew itself; a kubectl stand-in hands krew the local archive instead of the URL, which
// this machine cannot reach. Then the plugin is installed for this machine and run as
// `kubectl igw`, completion script included.
func (c *checker) krew(dir string) error {
	manifest := filepath.Join(c.dist, "krew", "igw.yaml")
	raw, err := os.ReadFile(manifest)
	if err != nil {
		return err
	}
	if err := hasAll(string(raw), "name: igw", "version: v"+c.version, "bin: igwctl"); err != nil {
		return err
	}
	if dir == "" {
		fmt.Println("    krew's validator not run: no -krew directory")
		return nil
	}
	tmp, err := os.MkdirTemp("", "distcheck-krew-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dist, _ := filepath.Abs(c.dist)
	shim := fmt.Sprintf("#!/bin/sh\n# kubectl krew ARGS, as validate-krew-manifest runs it, with the archive from dist/.\nshift\nexec %q \"$@\" --archive=%q\n",
		filepath.Join(dir, "krew"), filepath.Join(dist, "igwctl_"+c.version+"_${KREW_OS}_${KREW_ARCH}.tar.gz"))
	if err := os.WriteFile(filepath.Join(tmp, "kubectl"), []byte(shim), 0o755); err != nil {
		return err
	}
	pathEnv := "PATH=" + tmp + string(os.PathListSeparator) + os.Getenv("PATH")
	cmd := exec.Command(filepath.Join(dir, "validate-krew-manifest"), "-manifest", manifest)
	cmd.Env = append(os.Environ(), pathEnv)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("validate-krew-manifest: %v\n%s", err, out)
	}
	fmt.Println("    validate-krew-manifest: valid, and krew installed it for every platform")
	return c.runPlugin(dir, manifest, tmp, pathEnv)
}

// runPlugin installs the manifest for this machine with krew and runs it the way kubectl runs a
// plugin: by the name krew links, kubectl-igw.
func (c *checker) runPlugin(dir, manifest, tmp, pathEnv string) error {
	root := filepath.Join(tmp, "root")
	archive := filepath.Join(c.dist, c.archive("igwctl", runtimeOS, runtimeArch))
	cmd := exec.Command(filepath.Join(dir, "krew"), "install", "--manifest", manifest, "--archive", archive)
	cmd.Env = append(os.Environ(), "KREW_ROOT="+root)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("krew install: %v\n%s", err, out)
	}
	plugin := filepath.Join(root, "bin", "kubectl-igw")
	help, err := exec.Command(plugin, "install", "--help").CombinedOutput()
	if err != nil {
		return fmt.Errorf("kubectl-igw install --help: %v\n%s", err, help)
	}
	if err := hasAll(string(help), "kubectl igw install"); err != nil {
		return fmt.Errorf("kubectl-igw install --help does not call itself kubectl igw: %w", err)
	}
	// kubectl 1.26+ completes `kubectl igw ...` through kubectl_complete-igw on PATH.
	heads, data, err := readArchive(archive)
	if err != nil || heads["kubectl_complete-igw"] == nil {
		return fmt.Errorf("no kubectl_complete-igw in %s: %v", archive, err)
	}
	script := filepath.Join(root, "bin", "kubectl_complete-igw")
	if err := os.WriteFile(script, data["kubectl_complete-igw"], 0o755); err != nil {
		return err
	}
	comp := exec.Command(script, "install", "")
	comp.Env = append(os.Environ(), "PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := comp.CombinedOutput()
	if err != nil {
		return fmt.Errorf("kubectl_complete-igw install '': %v\n%s", err, out)
	}
	if err := hasAll(string(out), "bbr", "crds", "pool", "provider"); err != nil {
		return fmt.Errorf("completion of `kubectl igw install `: %w", err)
	}
	fmt.Println("    krew install, then kubectl-igw install --help and kubectl_complete-igw install <TAB>: ok")
	return nil
}
