package bindings

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Names chosen by a mail sender (attachment file names) never reach the
// file system as they are. SafeName reduces them to a base name that is
// safe on every OS — the same rules on Linux, macOS and Windows:
//
//   - RFC 2231 / URL escapes ("..%2F..") are decoded first, then the
//     result is sanitised;
//   - only the last component is kept ("\" and "/" both separate);
//   - control characters and <>:"|?* become "_";
//   - trailing dots and blanks are removed;
//   - Windows device names (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any
//     extension) get a "_" prefix;
//   - a name longer than 255 bytes is shortened, keeping its extension;
//   - an empty result ("", ".", "..") becomes attachment-N plus an
//     extension from the MIME type (".bin" when unknown).
//
// CreateUnique never overwrites: when dir/name exists it tries
// "name-2.ext", "name-3.ext", …, creating the file with O_EXCL, and
// returns the path it wrote.

// maxNameBytes is the longest file name most file systems accept.
const maxNameBytes = 255

// SafeName returns the safe base name for an attachment named name (the
// n-th of its message, 1-based) of MIME type contentType.
func SafeName(name string, n int, contentType string) string {
	if strings.Contains(name, "%") {
		if u, err := url.PathUnescape(name); err == nil {
			name = u
		}
	}
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	if i := strings.LastIndexAny(name, `\/`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`<>:"|?*`, r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimRight(strings.TrimSpace(name), ". ")
	if name == "" || strings.Trim(name, ".") == "" {
		return fmt.Sprintf("attachment-%d%s", n, extFor(contentType))
	}
	if isDeviceName(name) {
		name = "_" + name
	}
	return shorten(name, maxNameBytes)
}

// extFor returns the usual extension of a MIME type.
func extFor(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch mt {
	case "text/plain":
		return ".txt"
	case "text/html":
		return ".html"
	case "application/pdf":
		return ".pdf"
	case "application/xml", "text/xml":
		return ".xml"
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "message/rfc822":
		return ".eml"
	}
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

// isDeviceName reports whether name (with any extension) is a Windows
// device name.
func isDeviceName(name string) bool {
	base := name
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) {
		return base[3] >= '1' && base[3] <= '9'
	}
	return false
}

// shorten cuts name to at most limit bytes on a character boundary,
// keeping its extension when the extension is short.
func shorten(name string, limit int) string {
	if len(name) <= limit {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	stem := strings.TrimSuffix(name, ext)
	keep := limit - len(ext)
	for keep > 0 && !utf8.RuneStart(stem[keep]) {
		keep--
	}
	return stem[:keep] + ext
}

// maxVariants bounds the numbered variants CreateUnique tries.
const maxVariants = 10000

// CreateUnique writes data to a new file dir/name, or to the first free
// numbered variant "stem-K.ext", and returns its path. It never replaces
// an existing file.
func CreateUnique(dir, name string, data []byte) (string, error) {
	return CreateUniqueFrom(dir, name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// CreateUniqueFrom is CreateUnique with the content written by write
// (streamed, e.g. from an attachment kept in a temporary file).
func CreateUniqueFrom(dir, name string, write func(io.Writer) error) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for k := 1; k <= maxVariants; k++ {
		cand := name
		if k > 1 {
			suffix := fmt.Sprintf("-%d", k)
			cand = shorten(stem, maxNameBytes-len(ext)-len(suffix)) + suffix + ext
		}
		path := filepath.Join(dir, cand)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("create %s: %w", path, err)
		}
		werr := write(f)
		cerr := f.Close()
		if werr != nil || cerr != nil {
			os.Remove(path)
			return "", fmt.Errorf("write %s: %w", path, errors.Join(werr, cerr))
		}
		return path, nil
	}
	return "", fmt.Errorf("create %s in %s: too many files of that name", name, dir)
}
