// Command gen regenerates the files derived from api/ and from the pinned Gateway API module; run it
// through hack/generate.sh, which holds the tool versions.
//
// Everything is generated into a scratch copy of the module first (go.mod, go.sum and api/'s
// non-test sources without their old deepcopy files), so a stale or broken generated file cannot
// affect the result and -check never touches the work tree. Then the result is either written
// over the tree (removing generated files that are no longer produced) or, with -check, compared
// with it.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/igw-dev/igw/api"
)

const (
	deepcopyFile  = "zz_generated.deepcopy.go"
	crdDir        = "config/crd"
	gatewayAPIDir = "config/gateway-api"
)

func main() {
	controllerGen := flag.String("controller-gen", "", "controller-gen as a `module/cmd@version` for go run")
	gatewayAPI := flag.String("gateway-api", "", "the Gateway API module as `path@version`")
	check := flag.Bool("check", false, "change nothing; exit 1 if a generated file differs from what the tree holds")
	flag.Parse()
	if *controllerGen == "" || *gatewayAPI == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: hack/generate.sh [-check]  (gen needs -controller-gen and -gateway-api)")
		os.Exit(2)
	}
	if err := run(*controllerGen, *gatewayAPI, *check); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

func run(controllerGen, gatewayAPI string, check bool) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "igw-gen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)

	want := map[string][]byte{} // path relative to root -> content
	if err := generateFromAPI(root, scratch, controllerGen, want); err != nil {
		return err
	}
	if err := copyGatewayAPI(scratch, gatewayAPI, want); err != nil {
		return err
	}

	have, err := generatedInTree(root)
	if err != nil {
		return err
	}
	stale := compare(want, have)
	if check {
		if len(stale) > 0 {
			return fmt.Errorf("generated files are out of date, run hack/generate.sh:\n  %s", strings.Join(stale, "\n  "))
		}
		fmt.Printf("gen: %d generated files up to date\n", len(want))
		return nil
	}
	for _, p := range sortedKeys(have) {
		if _, ok := want[p]; !ok {
			if err := os.Remove(filepath.Join(root, p)); err != nil {
				return err
			}
		}
	}
	for _, p := range sortedKeys(want) {
		if old, ok := have[p]; ok && bytes.Equal(old, want[p]) {
			continue
		}
		dst := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, want[p], 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("gen: %d generated files, %d changed\n", len(want), len(stale))
	return nil
}

// compare lists, sorted, the generated files whose tree copy is missing, differs or should not exist.
func compare(want, have map[string][]byte) []string {
	var stale []string
	for _, p := range sortedKeys(want) {
		old, ok := have[p]
		switch {
		case !ok:
			stale = append(stale, p+" (missing)")
		case !bytes.Equal(old, want[p]):
			stale = append(stale, p+" (differs)")
		}
	}
	for _, p := range sortedKeys(have) {
		if _, ok := want[p]; !ok {
			stale = append(stale, p+" (no longer generated)")
		}
	}
	sort.Strings(stale)
	return stale
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the igw module; run hack/generate.sh")
	}
	return filepath.Dir(gomod), nil
}

// generateFromAPI runs controller-gen's object and crd generators over a scratch copy of api/.
func generateFromAPI(root, scratch, controllerGen string, want map[string][]byte) error {
	mod := filepath.Join(scratch, "module")
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := copyFile(filepath.Join(root, f), filepath.Join(mod, f)); err != nil {
			return err
		}
	}
	err := filepath.WalkDir(filepath.Join(root, "api"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || name == deepcopyFile {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		return copyFile(path, filepath.Join(mod, rel))
	})
	if err != nil {
		return err
	}

	crdOut := filepath.Join(scratch, "crd")
	cmd := exec.Command("go", "run", controllerGen, "object", "crd", "paths=./api/...", "output:crd:dir="+crdOut)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go run %s: %w", controllerGen, err)
	}

	err = filepath.WalkDir(filepath.Join(mod, "api"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != deepcopyFile {
			return err
		}
		rel, err := filepath.Rel(mod, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		want[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		return err
	}

	entries, err := os.ReadDir(crdOut)
	if err != nil {
		return err
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(crdOut, e.Name()))
		if err != nil {
			return err
		}
		data, err = addAnnotation(data, api.BundleVersionAnnotation, api.BundleVersion)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Name(), err)
		}
		want[crdDir+"/"+e.Name()] = data
	}
	if len(entries) == 0 {
		return errors.New("controller-gen wrote no CRDs")
	}
	return nil
}

// addAnnotation inserts key: value among the metadata annotations of one CRD as controller-gen
// writes it (the annotations block directly under metadata, keys sorted, which is kept).
func addAnnotation(crd []byte, key, value string) ([]byte, error) {
	lines := strings.SplitAfter(string(crd), "\n")
	start := -1
	for i := 0; i+1 < len(lines); i++ {
		if lines[i] == "metadata:\n" && lines[i+1] == "  annotations:\n" {
			start = i + 2
			break
		}
	}
	if start < 0 {
		return nil, errors.New("no metadata.annotations block where controller-gen puts it")
	}
	end := start
	for end < len(lines) && strings.HasPrefix(lines[end], "    ") {
		if strings.HasPrefix(lines[end], "    "+key+":") {
			return nil, fmt.Errorf("annotation %s already set", key)
		}
		end++
	}
	at := start
	for at < end && lines[at] < "    "+key+":" {
		at++
	}
	line := fmt.Sprintf("    %s: %s\n", key, value)
	out := slices.Concat(lines[:at], []string{line}, lines[at:])
	return []byte(strings.Join(out, "")), nil
}

// copyGatewayAPI takes the standard and experimental channel manifests out of the Gateway API module
// (from the module cache, downloading it through the proxy when missing), byte for byte.
func copyGatewayAPI(scratch, module string, want map[string][]byte) error {
	// Outside any module, so the download cannot touch go.mod or go.sum.
	cmd := exec.Command("go", "mod", "download", "-json", module)
	cmd.Dir = scratch
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go mod download %s: %w\n%s", module, err, out)
	}
	var info struct{ Path, Version, Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return fmt.Errorf("go mod download %s: %w", module, err)
	}
	if info.Error != "" || info.Dir == "" {
		return fmt.Errorf("go mod download %s: %s", module, info.Error)
	}
	for _, channel := range []string{"standard", "experimental"} {
		dir := filepath.Join(info.Dir, "config", "crd", channel)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		n := 0
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") || e.Name() == "kustomization.yaml" {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			want[gatewayAPIDir+"/"+channel+"/"+e.Name()] = data
			n++
		}
		if n == 0 {
			return fmt.Errorf("no manifests in %s", dir)
		}
	}
	want[gatewayAPIDir+"/VERSION"] = []byte(info.Version + "\n")
	return nil
}

// generatedInTree reads the files of the tree that gen owns.
func generatedInTree(root string) (map[string][]byte, error) {
	have := map[string][]byte{}
	add := func(path string) error {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		have[filepath.ToSlash(rel)] = data
		return err
	}
	walk := func(dir string, owned func(rel string) bool) error {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(filepath.Join(root, dir), path)
			if err != nil || !owned(filepath.ToSlash(rel)) {
				return err
			}
			return add(path)
		})
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if err := walk("api", func(rel string) bool { return filepath.Base(rel) == deepcopyFile }); err != nil {
		return nil, err
	}
	if err := walk(crdDir, func(rel string) bool { return !strings.Contains(rel, "/") && strings.HasSuffix(rel, ".yaml") }); err != nil {
		return nil, err
	}
	if err := walk(gatewayAPIDir, func(rel string) bool {
		return rel == "VERSION" || strings.HasPrefix(rel, "standard/") || strings.HasPrefix(rel, "experimental/")
	}); err != nil {
		return nil, err
	}
	return have, nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
