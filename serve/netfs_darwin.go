package serve

import (
	"fmt"
	"syscall"
)

// fsType names the file system of dir and reports whether it is a
// network one (statfs f_fstypename).
func fsType(dir string) (string, bool, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "", false, fmt.Errorf("statfs %s: %w", dir, err)
	}
	b := make([]byte, 0, len(st.Fstypename))
	for _, c := range st.Fstypename {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	name := string(b)
	switch name {
	case "nfs", "smbfs", "afpfs", "webdav", "cifs", "ftp":
		return name, true, nil
	}
	return name, false, nil
}
