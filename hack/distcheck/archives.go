package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

func (c *checker) checksums() error {
	f, err := os.Open(filepath.Join(c.dist, "checksums.txt"))
	if err != nil {
		return err
	}
	defer f.Close()
	c.sums = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			return fmt.Errorf("line %q is not \"SHA256  NAME\"", sc.Text())
		}
		got, err := sha256File(filepath.Join(c.dist, name))
		if err != nil {
			return err
		}
		if got != sum {
			return fmt.Errorf("%s: sha256 %s, checksums.txt says %s", name, got, sum)
		}
		c.sums[name] = sum
	}
	for _, b := range binaries {
		for _, p := range c.platforms {
			if _, ok := c.sums[c.archive(b, p[0], p[1])]; !ok {
				return fmt.Errorf("%s is not in checksums.txt", c.archive(b, p[0], p[1]))
			}
		}
	}
	fmt.Printf("    %d files match their sha256\n", len(c.sums))
	return sc.Err()
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readArchive returns a .tar.gz's regular files: name -> (mode, contents).
func readArchive(path string) (map[string]*tar.Header, map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	tr := tar.NewReader(zr)
	heads, data := map[string]*tar.Header{}, map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return heads, data, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, nil, err
		}
		heads[h.Name], data[h.Name] = h, b
	}
}

func (c *checker) archives() error {
	for _, b := range binaries {
		for _, p := range c.platforms {
			name := c.archive(b, p[0], p[1])
			heads, data, err := readArchive(filepath.Join(c.dist, name))
			if err != nil {
				return err
			}
			want := []string{b, "LICENSE", "README.md"}
			if b == "igwctl" {
				want = append(want, "kubectl_complete-igw")
			}
			got := slices.Sorted(maps.Keys(heads))
			slices.Sort(want)
			if !slices.Equal(got, want) {
				return fmt.Errorf("%s holds %v, want %v", name, got, want)
			}
			if heads[b].Mode&0o111 == 0 || (b == "igwctl" && heads["kubectl_complete-igw"].Mode&0o111 == 0) {
				return fmt.Errorf("%s: executables without the x bit", name)
			}
			if err := checkFormat(data[b], p[0], p[1]); err != nil {
				return fmt.Errorf("%s: %s: %w", name, b, err)
			}
			if hostCanRun(p[0], p[1]) {
				if err := c.runBinary(b, data[b]); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
		}
	}
	fmt.Printf("    %d archives: binaries for their platform, LICENSE, README, completion script\n", len(binaries)*len(c.platforms))
	return nil
}

// checkFormat reads the executable's header: ELF for linux, Mach-O for darwin, of the arch.
func checkFormat(b []byte, goos, arch string) error {
	switch goos {
	case "linux":
		f, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			return err
		}
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
		if f.Machine != want {
			return fmt.Errorf("ELF for %s, want %s", f.Machine, want)
		}
	case "darwin":
		f, err := macho.NewFile(bytes.NewReader(b))
		if err != nil {
			return err
		}
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[arch]
		if f.Cpu != want {
			return fmt.Errorf("Mach-O for %s, want %s", f.Cpu, want)
		}
	}
	return nil
}

// runBinary runs a binary of this machine's platform: its version must be the release's.
func (c *checker) runBinary(name string, b []byte) error {
	path, err := writeExec(name, b)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(path))
	arg := "--version"
	if name == "igwctl" {
		arg = "version"
	}
	out, err := exec.Command(path, arg).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, arg, err, out)
	}
	if err := hasAll(string(out), "v"+c.version); err != nil {
		return fmt.Errorf("%s %s: %w", name, arg, err)
	}
	fmt.Printf("    %s\n", firstLine(string(out)))
	return nil
}

func writeExec(name string, b []byte) (string, error) {
	dir, err := os.MkdirTemp("", "distcheck-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, b, 0o755)
}
