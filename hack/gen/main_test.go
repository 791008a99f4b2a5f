package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestAddAnnotation(t *testing.T) {
	const crd = "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n" +
		"  annotations:\n    api-approved.kubernetes.io: unapproved\n    controller-gen.kubebuilder.io/version: v0.23.0\n" +
		"  name: things.example.com\nspec:\n  group: example.com\n"
	got, err := addAnnotation([]byte(crd), "inference.networking.k8s.io/bundle-version", "v1.6.0")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(crd, "v0.23.0\n", "v0.23.0\n    inference.networking.k8s.io/bundle-version: v1.6.0\n", 1)
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Sorted position: before a later key.
	got, err = addAnnotation([]byte(crd), "b.example.com/x", "y")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "unapproved\n    b.example.com/x: y\n    controller-gen") {
		t.Errorf("not inserted in key order:\n%s", got)
	}
	if _, err := addAnnotation(got, "b.example.com/x", "z"); err == nil {
		t.Error("a second insertion of the same key was accepted")
	}
	if _, err := addAnnotation([]byte("metadata:\n  name: x\n"), "k", "v"); err == nil {
		t.Error("a CRD without an annotations block was accepted")
	}
}

func TestCompare(t *testing.T) {
	want := map[string][]byte{"a": []byte("1"), "b": []byte("2"), "c": []byte("3")}
	have := map[string][]byte{"a": []byte("1"), "b": []byte("x"), "d": []byte("4")}
	got := compare(want, have)
	exp := []string{"b (differs)", "c (missing)", "d (no longer generated)"}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("compare = %q, want %q", got, exp)
	}
	if got := compare(want, want); got != nil {
		t.Errorf("compare of equal sets = %q", got)
	}
}
