// Package charts carries igw's Helm charts, built into igwctl so installing them needs no network.
package charts

import (
	"embed"
	"io/fs"
)

//go:embed all:bbr
var files embed.FS

// BBRRelease is the Helm release igwctl installs the bbr chart as, and uninstalls.
const BBRRelease = "bbr"

// BBR is the bbr chart's directory tree (Chart.yaml at its root).
func BBR() fs.FS {
	sub, err := fs.Sub(files, "bbr")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}
