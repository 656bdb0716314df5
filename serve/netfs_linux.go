package serve

import (
	"fmt"
	"syscall"
)

// Linux statfs f_type magic numbers of network file systems.
var networkFS = map[int64]string{
	0x6969:     "nfs",
	0x517b:     "smb",
	0xff534d42: "cifs",
	0xfe534d42: "smb2",
	0x5346414f: "afs",
	0x00c36400: "ceph",
	0x47504653: "gpfs",
	0x013111a8: "ibrix",
	0x564c:     "ncp",
	0x7461636f: "ocfs2",
	0x01161970: "gfs2",
	0x0bd00bd0: "lustre",
}

// fsType names the file system of dir and reports whether it is a
// network one (statfs f_type).
func fsType(dir string) (string, bool, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "", false, fmt.Errorf("statfs %s: %w", dir, err)
	}
	name, ok := networkFS[int64(st.Type)&0xffffffff]
	return name, ok, nil
}
