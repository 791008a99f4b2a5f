package manifest

import "fmt"

// Files returns the files one -f argument names, by the rules Load reads them with: a file is
// itself, a directory gives its .yaml, .yml and .json files in lexical order (those of its
// subdirectories too when recursive), and Stdin stays Stdin. For commands that need the files'
// bytes rather than decoded objects, such as convert, which rewrites them.
func Files(path string, recursive bool) ([]string, error) {
	return expand(path, recursive)
}

// NoObjectsError is Load's error for a -f argument that holds no object, for commands that read
// the files themselves.
func NoObjectsError(path string, recursive bool) error {
	return noObjects(path, recursive)
}

func noObjects(path string, recursive bool) error {
	return fmt.Errorf("%s: no Kubernetes objects found (want YAML or JSON documents with apiVersion and kind%s)", path, dirHint(path, recursive))
}
