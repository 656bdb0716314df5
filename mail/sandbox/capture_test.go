package sandbox

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestSplitRecipients(t *testing.T) {
	tests := []struct {
		name, header string
		envelope     []string
		to, cc, bcc  []string
	}{
		{"to cc bcc", "To: Fulano <Fulano@Empresa.com.br>\r\nCc: copia@empresa.com.br\r\n",
			[]string{"fulano@empresa.com.br", "COPIA@empresa.com.br", "auditoria@empresa.com.br"},
			[]string{"fulano@empresa.com.br"}, []string{"COPIA@empresa.com.br"}, []string{"auditoria@empresa.com.br"}},
		{"encoded names and two Cc fields", "To: =?ISO-8859-1?Q?Jo=E3o?= <joao@x.example>, b@x.example\r\nCc: c@x.example\r\nCc: d@x.example\r\n",
			[]string{"joao@x.example", "b@x.example", "c@x.example", "d@x.example"},
			[]string{"joao@x.example", "b@x.example"}, []string{"c@x.example", "d@x.example"}, nil},
		{"only bcc", "To: undisclosed-recipients:;\r\n",
			[]string{"a@x.example"}, nil, nil, []string{"a@x.example"}},
		{"to and cc both name it", "To: a@x.example\r\nCc: a@x.example\r\n",
			[]string{"a@x.example"}, []string{"a@x.example"}, nil, nil},
		{"semicolon list the engine accepts", "To: a@x.example; b@x.example\r\n",
			[]string{"a@x.example", "b@x.example"}, []string{"a@x.example", "b@x.example"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte("From: s@x.example\r\n" + tt.header + "Subject: t\r\n\r\nbody\r\n")
			to, cc, bcc := splitRecipients(data, tt.envelope)
			if !slices.Equal(to, tt.to) || !slices.Equal(cc, tt.cc) || !slices.Equal(bcc, tt.bcc) {
				t.Errorf("splitRecipients = to %q cc %q bcc %q, want to %q cc %q bcc %q", to, cc, bcc, tt.to, tt.cc, tt.bcc)
			}
		})
	}
}

// TestSummaryRecipients sends one message with To, Cc and Bcc recipients
// through the sandbox: the summary shows each under its own label, and
// the captured message records the split.
func TestSummaryRecipients(t *testing.T) {
	s := startSandbox(t)
	msg := "From: Compras <compras@empresa.com.br>\r\nTo: Fulano <fulano@empresa.com.br>\r\n" +
		"Cc: copia@empresa.com.br\r\nSubject: Pedido\r\n\r\nok\r\n"
	sendSMTP(t, s, "compras@empresa.com.br", []string{"fulano@empresa.com.br", "copia@empresa.com.br", "auditoria@empresa.com.br"}, msg)
	var b bytes.Buffer
	s.Summary(&b)
	want := "sandbox: 1 message(s) captured\n\n#1\n" +
		"  From:        compras@empresa.com.br\n" +
		"  To:          fulano@empresa.com.br\n" +
		"  Cc:          copia@empresa.com.br\n" +
		"  Bcc:         auditoria@empresa.com.br\n" +
		"  Subject:     Pedido\n"
	if !strings.HasPrefix(b.String(), want) {
		t.Errorf("summary\n%s\nwant it to start with\n%s", b.String(), want)
	}
	c := s.Captured()[0]
	if len(c.To) != 3 || !slices.Equal(c.Bcc, []string{"auditoria@empresa.com.br"}) || !slices.Equal(c.Cc, []string{"copia@empresa.com.br"}) {
		t.Errorf("captured %+v", c)
	}
}
