package runtime

import (
	"os"
	"strings"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

const envINI = `[advmail]
Environment=producao
User=joao
MsgYesNo=0
Aviso=2
[producao]
RootPath=/srv/protheus
StartPath=\system\
SourcePath=/srv/apo
[Users]
000000=admin;Administrador;admin@empresa.com.br
000123=joao;João da Silva;joao@empresa.com.br
[Parameters]
MV_RELTIME=120
MV_XMLDIR=C:\xml\recebidos\
MV_ATIVO=true
MV_DATAFEC=20261130
MV_TEXTO=120
[ParameterTypes]
MV_RELTIME=N
MV_DATAFEC=D
MV_TEXTO=C
`

func TestEnvironmentFunctions(t *testing.T) {
	r, out := newTestRuntime(t, Options{INI: []byte(envINI)})
	cases := []struct{ code, want string }{
		{`return GetEnvServer()`, "producao"},
		{`return GetSrvProfString("SourcePath", "x")`, "/srv/apo"},
		{`return GetSrvProfString("Missing", "x")`, "x"},
		{`return GetSrvProfString("RootPath", "") .. "\\spool\\"`, `/srv/protheus\spool\`},
		{`return ValType(GetMV("MV_RELTIME"))`, "N"},
		{`return GetMV("MV_RELTIME") + 1`, "121"},
		{`return GetMV("MV_XMLDIR")`, `C:\xml\recebidos\`},
		{`return ValType(SuperGetMV("MV_TEXTO", false, 0))`, "C"},
		{`return DtoS(GetMV("MV_DATAFEC"))`, "20261130"},
		{`return GetNewPar("MV_ATIVO", false)`, "true"},
		{`return GetNewPar("MV_NADA", "def")`, "def"},
		{`return RetCodUsr()`, "000123"},
		{`return UsrRetName()`, "joao"},
		{`return UsrFullName("000123")`, "João da Silva"},
		{`return UsrRetMail("000000")`, "admin@empresa.com.br"},
		{`return UsrRetMail("999999")`, ""},
		{`SetFunName("MATA410"); return FunName()`, "MATA410"},
		{`return RpcSetEnv("01", "02", "joao", "x", "FAT", "FATR01") and cEmpAnt .. cFilAnt .. FunName()`, "0102FATR01"},
		{`return RpcClearEnv()`, "true"},
		{`return IsBlind()`, "true"},
		{`return KillApp()`, "false"},
		{`local n = 0; while not KillApp() and n < 3 do n = n + 1 end; return n`, "3"},
		{`local ok, err = pcall(KillApp, true); return tostring(ok) .. " " .. tostring(err):match("asked to end")`, "false asked to end"},
		{`return GetRemoteType()`, "-1"},
		{`return MsgYesNo("Continua?", "Pergunta")`, "false"},
		{`return Aviso("Atenção", "Texto", {"Sim", "Não"})`, "2"},
		{`return Processa(function() return 42 end, "t")`, "42"},
		{`return MsgRun("aguarde", "t", function() return "ok" end)`, "ok"},
		{`return FwMsgRun(nil, function(o) return ValType(o) end, "t", "m")`, "O"},
		{`return Chr(65) .. Chr(233) .. Chr(128)`, "Aé€"},
		{`return Asc("A") + Asc("é") + Asc("€")`, "426"},
		{`return Asc("")`, "0"},
		{`return Subs("abcdef", 2, 3) .. Subst("abcdef", 4) .. SubString("abc", 1, 1)`, "bcddefa"},
		{`return Capital("JOÃO DA silva-neto")`, "João Da Silva-Neto"},
		{`return Encode64("Olá")`, "T2zDoQ=="},
		{`return Decode64("T2zDoQ==")`, "Olá"},
		{`return Decode64("!!")`, ""},
		{`return Transform(1234.5, "@E 999,999.99")`, "  1.234,50"},
		{`return OemToAnsi("ação")`, "ação"},
		{`local o = MsDialog():New(1, 2, 3, 4, "x"); o:Activate(); return ValType(o) .. ValType(TButton():New():SetCss("a"))`, "OO"},
		{`local o = UIStub("MSDIALOG", "t"); return tostring(UIActivate(o)) .. ValType(o)`, "nilO"},
	}
	for _, tc := range cases {
		vs := evalLua(t, r, tc.code)
		if len(vs) == 0 || vs[0].String() != tc.want {
			t.Errorf("%s = %v, want %s", tc.code, vs, tc.want)
		}
	}
	evalLua(t, r, `MsgInfo("Pedido liberado", "Faturamento"); MsgStop("falhou")`)
	for _, want := range []string{"[Faturamento] Pedido liberado", "[MsgStop] falhou"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
}

func TestEnvironmentFallbacks(t *testing.T) {
	cases := []struct{ ini, env, root string }{
		{"[a]\nx=1\n[b]\nRootPath=/b\n[c]\nRootPath=/c\n", "b", "/b"},
		{"[advmail]\nEnvironment=c\n[b]\nRootPath=/b\n[c]\nRootPath=/c\n", "c", "/c"},
	}
	for _, tc := range cases {
		r, _ := newTestRuntime(t, Options{INI: []byte(tc.ini)})
		e := r.environment()
		if e.name != tc.env || e.root != tc.root || !e.rootDefined {
			t.Errorf("%q: env %q root %q defined %v", tc.ini, e.name, e.root, e.rootDefined)
		}
	}
	r, _ := newTestRuntime(t, Options{INI: []byte("[Mail]\nProtocol=POP3\n")})
	if e := r.environment(); e.name != "" || e.rootDefined {
		t.Errorf("no environment: %+v", e)
	}
}

func TestDatabaseLine(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	_, err := r.Eval(t.Context(), "rotina.lua", "\nreturn DbSeek('x')")
	if err == nil || !strings.Contains(err.Error(), "rotina.lua:2: DbSeek needs a database: not available in advmail; a host application can register it (docs/embedding.md)") {
		t.Fatalf("DbSeek error = %v", err)
	}
	if err := r.Register("testfield", func(L *lua.LState) int { L.Push(r.fieldGet(L, "SA1", "A1_NOME")); return 1 }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Eval(t.Context(), "rotina.lua", "return testfield()"); err == nil ||
		!strings.Contains(err.Error(), "SA1->A1_NOME needs a database") {
		t.Errorf("fieldGet error = %v", err)
	}

	lr, out := newTestRuntime(t, Options{INI: []byte("[advmail]\nLenient=1\n")})
	cases := []struct{ code, want string }{
		{`return Select("SA1")`, "0"},
		{`return DbSeek("x")`, "false"},
		{`return DbSeek("y")`, "false"},
		{`return Eof()`, "true"},
		{`return RecCount() + LastRec()`, "0"},
		{`return RecLock("SA1", false)`, "true"},
		{`return "[" .. xFilial("SA1") .. "]"`, "[  ]"},
		{`local a = GetArea(); RestArea(a); return ValType(a)`, "A"},
		{`return RetSqlName("SA1")`, "SA1010"},
		{`return ValType(Posicione("SA1", 1, "x", "A1_EMISSAO"))`, "D"},
	}
	for _, tc := range cases {
		vs := evalLua(t, lr, tc.code)
		if len(vs) == 0 || vs[0].String() != tc.want {
			t.Errorf("lenient %s = %v, want %s", tc.code, vs, tc.want)
		}
	}
	if n := strings.Count(out.String(), "DbSeek needs a database"); n != 1 {
		t.Errorf("DbSeek warned %d times, want once:\n%s", n, out)
	}
	blanks := []struct {
		field, want string
	}{
		{"E1_EMISSAO", "D"}, {"F2_DTDIGIT", "D"}, {"E1_VALOR", "N"}, {"C6_QTDVEN", "N"}, {"C6_QUANT", "N"},
		{"D2_TOTAL", "N"}, {"E1_VLCRUZ", "N"}, {"A1_NOME", "C"}, {"A1_FILIAL", "C"},
	}
	for _, b := range blanks {
		if got := valType(lr.blankField(b.field)); got != b.want {
			t.Errorf("blankField(%s) type %s, want %s", b.field, got, b.want)
		}
	}
	if s := lr.blankField("A1_FILIAL").String(); s != "  " {
		t.Errorf("A1_FILIAL blank = %q", s)
	}
}

func TestLockByNameAndStartJob(t *testing.T) {
	r1, _ := newTestRuntime(t, Options{})
	r2, _ := newTestRuntime(t, Options{})
	vs := evalLua(t, r1, `return LockByName("ENVIO_NFE", true, false)`)
	if vs[0] != lua.LTrue {
		t.Fatalf("first lock = %v", vs)
	}
	if vs := evalLua(t, r2, `return LockByName("envio_nfe", true, false), UnLockByName("ENVIO_NFE", true, false)`); vs[0] != lua.LFalse || vs[1] != lua.LFalse {
		t.Errorf("second holder = %v", vs)
	}
	if vs := evalLua(t, r2, `return LockByName("ENVIO_NFE")`); vs[0] != lua.LTrue {
		t.Errorf("a lock without lEmpresa is another name: %v", vs)
	}
	evalLua(t, r1, `UnLockByName("ENVIO_NFE", true, false)`)
	if vs := evalLua(t, r2, `return LockByName("ENVIO_NFE", true, false)`); vs[0] != lua.LTrue {
		t.Errorf("after unlock = %v", vs)
	}
	r2.Close()
	if vs := evalLua(t, r1, `return LockByName("ENVIO_NFE", true, false)`); vs[0] != lua.LTrue {
		t.Errorf("Close releases locks: %v", vs)
	}

	// Concurrent holders: exactly one wins.
	var wg sync.WaitGroup
	wins := make(chan bool, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		rt, _ := newTestRuntime(t, Options{})
		go func() {
			defer wg.Done()
			vs, err := rt.Eval(t.Context(), "job", `return LockByName("CORRIDA")`)
			wins <- err == nil && vs[0] == lua.LTrue
		}()
	}
	wg.Wait()
	close(wins)
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d holders got the lock, want 1", n)
	}

	// StartJob: an unknown function is a clear error.
	if _, err := r1.Eval(t.Context(), "job", `return StartJob("U_NAOEXISTE", GetEnvServer(), true)`); err == nil ||
		!strings.Contains(err.Error(), "U_NAOEXISTE is not defined") {
		t.Errorf("StartJob unknown = %v", err)
	}
}

func TestDDataBase(t *testing.T) {
	r, _ := newTestRuntime(t, Options{})
	vs := evalLua(t, r, `return DtoS(dDataBase)`)
	if vs[0].String() != "20261125" {
		t.Errorf("dDataBase = %v", vs)
	}
}

func TestStartJobRunsAdvPLFunction(t *testing.T) {
	dir := t.TempDir()
	src := "User Function JobMain()\nReturn .T.\n\nUser Function Dobro(n)\n\tLockByName(\"JOBLOCK_T\")\nReturn n * 2\n"
	path := dir + "/job.prw"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r, out := newTestRuntime(t, Options{})
	if err := r.DoFile(t.Context(), path); err != nil {
		t.Fatalf("DoFile: %v\n%s", err, out)
	}
	vs := evalLua(t, r, `return StartJob("U_DOBRO", GetEnvServer(), true, 21)`)
	if vs[0] != lua.LNumber(42) {
		t.Fatalf("StartJob waiting = %v", vs)
	}
	// The job ended: its lock was released with its runtime.
	if vs := evalLua(t, r, `return LockByName("JOBLOCK_T")`); vs[0] != lua.LTrue {
		t.Errorf("lock held after the job ended: %v", vs)
	}
	evalLua(t, r, `UnLockByName("JOBLOCK_T")`)
	if vs := evalLua(t, r, `return StartJob("U_DOBRO", "", false, 1)`); vs[0] != lua.LTrue {
		t.Errorf("StartJob not waiting = %v", vs)
	}
}
