// Package ast declares the syntax tree of preprocessed AdvPL source.
package ast

// Pos is a 1-based source position.
type Pos struct{ Line, Col int }

// Expr is any expression node.
type Expr interface{ exprNode() }

// Stmt is any statement node.
type Stmt interface{ StmtPos() Pos }

// Expression nodes.
type (
	// Ident is a variable or function name (lower case).
	Ident struct{ Name string }
	// Num is a numeric literal as written (normalised for Lua).
	Num struct{ Text string }
	// Str is a string literal (decoded value).
	Str struct{ Val string }
	// Bool is .T. or .F.
	Bool struct{ Val bool }
	// Nil is NIL.
	Nil struct{}
	// Self is Self (also the receiver of ::x).
	Self struct{}
	// Super is Super (or _Super) used as a method receiver.
	Super struct{}
	// Unary is a prefix operator: "-", "+", "!".
	Unary struct {
		Op string
		X  Expr
	}
	// Binary is an infix operator (normalised: "or", "and", "=", "==", "!=",
	// "<", "<=", ">", ">=", "$", "+", "-", "*", "/", "%", "^").
	Binary struct {
		Op   string
		L, R Expr
	}
	// Assign is ":=" or a compound assignment ("+=", ...).
	Assign struct {
		Op     string
		Target Expr
		Value  Expr
	}
	// IncDec is ++ or -- ("+" or "-" in Op).
	IncDec struct {
		Op     string
		Prefix bool
		Target Expr
	}
	// Call is a function call; nil Args entries are omitted arguments.
	Call struct {
		Fn   Expr
		Args []Expr
	}
	// Ref is @x in an argument list.
	Ref struct{ X Expr }
	// Index is a[i] (one index per node).
	Index struct {
		X   Expr
		Idx Expr
	}
	// Member is obj:name (property).
	Member struct {
		X    Expr
		Name string
	}
	// MethodCall is obj:name(args).
	MethodCall struct {
		X    Expr
		Name string
		Args []Expr
	}
	// Field is ALIAS->FIELD; Alias is nil for FIELD->x or a Field declaration.
	Field struct {
		Alias Expr // *Str for a literal alias, else an expression
		Name  string
	}
	// InAlias is ALIAS->(expr).
	InAlias struct {
		Alias Expr
		X     Expr
	}
	// MemvarRef is M->x.
	MemvarRef struct{ Name string }
	// Array is {a, , b}; nil entries are NIL.
	Array struct{ Elems []Expr }
	// Block is a codeblock {|a, b| e1, e2}.
	Block struct {
		Params []string
		Body   []Expr
	}
	// Macro is &x, &(expr) or &x.suffix.
	Macro struct {
		X      Expr
		Suffix string
	}
	// List is a parenthesised list (a, b): the value of the last.
	List struct{ Exprs []Expr }
	// IIf is IIf(c, a, b) or If(c, a, b).
	IIf struct{ Cond, Then, Else Expr }
)

func (*Ident) exprNode()      {}
func (*Num) exprNode()        {}
func (*Str) exprNode()        {}
func (*Bool) exprNode()       {}
func (*Nil) exprNode()        {}
func (*Self) exprNode()       {}
func (*Super) exprNode()      {}
func (*Unary) exprNode()      {}
func (*Binary) exprNode()     {}
func (*Assign) exprNode()     {}
func (*IncDec) exprNode()     {}
func (*Call) exprNode()       {}
func (*Ref) exprNode()        {}
func (*Index) exprNode()      {}
func (*Member) exprNode()     {}
func (*MethodCall) exprNode() {}
func (*Field) exprNode()      {}
func (*InAlias) exprNode()    {}
func (*MemvarRef) exprNode()  {}
func (*Array) exprNode()      {}
func (*Block) exprNode()      {}
func (*Macro) exprNode()      {}
func (*List) exprNode()       {}
func (*IIf) exprNode()        {}

// DeclItem is one name of a declaration.
type DeclItem struct {
	Name  string // lower case; empty when Macro is set
	Macro Expr   // Private &cVar
	Dims  []Expr // Local a[10]
	Init  Expr   // := value, or nil
}

// Statement nodes.
type (
	// Decl is Local, Static, Private, Public, Memvar or Field.
	Decl struct {
		Pos
		Kind  string // "local", "static", "private", "public", "memvar", "field"
		Items []DeclItem
	}
	// Default is Default x := v.
	Default struct {
		Pos
		Items []DeclItem
	}
	// ExprStmt is an expression used as a statement.
	ExprStmt struct {
		Pos
		X Expr
	}
	// If is If/ElseIf/Else/EndIf and Do Case (same shape).
	If struct {
		Pos
		Conds   []Expr
		CondPos []Pos // position of each If/ElseIf/Case clause
		Blocks  [][]Stmt
		ElsePos Pos
		Else    []Stmt
		End     Pos
	}
	// For is For v := a To b [Step s] ... Next.
	For struct {
		Pos
		Var            Expr
		From, To, Step Expr
		Body           []Stmt
		End            Pos
	}
	// ForEach is For Each v In a ... Next.
	ForEach struct {
		Pos
		Var  Expr
		In   Expr
		Body []Stmt
		End  Pos
	}
	// While is While/Do While ... EndDo.
	While struct {
		Pos
		Cond Expr
		Body []Stmt
		End  Pos
	}
	// Exit leaves the innermost loop.
	Exit struct{ Pos }
	// Loop continues the innermost loop.
	Loop struct{ Pos }
	// Sequence is Begin Sequence ... Recover [Using v] ... End.
	Sequence struct {
		Pos
		Body       []Stmt
		HasRecover bool
		Using      Expr
		Recover    []Stmt
		End        Pos
	}
	// Break is Break [x] inside a sequence.
	Break struct {
		Pos
		X Expr
	}
	// Return is Return [x].
	Return struct {
		Pos
		X Expr
	}
	// Print is ? / ?? (Double for ??).
	Print struct {
		Pos
		Double bool
		Args   []Expr
	}
)

// StmtPos returns the statement's position.
func (p Pos) StmtPos() Pos { return p }

// Func is a function or method definition.
type Func struct {
	Pos
	Name      string // as written
	Kind      string // "user", "function", "main", "static", "method"
	Class     string // for methods: the class name as written
	Params    []string
	Body      []Stmt
	HasReturn bool   // a Return statement at the body's top level
	Err       string // non-empty: the body failed to parse (first diagnostic)
}

// Class is a Class … EndClass declaration.
type Class struct {
	Pos
	Name   string
	Parent string
	Data   []string // lower case
	Inits  []Expr   // parallel to Data; nil when no Init
}

// File is a parsed source file.
type File struct {
	Top     []Stmt // file-level statements (Static declarations, REPL code)
	Funcs   []*Func
	Classes []*Class
	Order   []any // *Func, *Class and Stmt in source order
}
