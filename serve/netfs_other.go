//go:build !linux && !darwin

package serve

// fsType cannot tell network file systems apart on this system: only UNC
// paths are refused (see checkLocalPath).
func fsType(string) (string, bool, error) { return "", false, nil }
