// Package ast declares the syntax tree of preprocessed AdvPL source.
package ast

// Pos is a 1-based source position.
type Pos struct {
	Line, Col int // Line and Col count from 1
}

// Expr is any expression node.
type Expr interface{ exprNode() }

// Stmt is any statement node.
type Stmt interface {
	// StmtPos returns the position of the statement's first token.
	StmtPos() Pos
}

// Expression nodes.
type (
	// Ident is a variable or function name (lower case).
	Ident struct {
		Name string // Name is in lower case
	}
	// Num is a numeric literal as written (normalised for Lua).
	Num struct {
		Text string // Text is the literal, as Lua reads it
	}
	// Str is a string literal (decoded value).
	Str struct {
		Val string // Val is the decoded value
	}
	// Bool is .T. or .F.
	Bool struct {
		Val bool // Val is true for .T.
	}
	// Nil is NIL.
	Nil struct{}
	// Self is Self (also the receiver of ::x).
	Self struct{}
	// Super is Super (or _Super) used as a method receiver.
	Super struct{}
	// Unary is a prefix operator: "-", "+", "!".
	Unary struct {
		Op string // "-", "+" or "!"
		X  Expr   // the operand
	}
	// Binary is an infix operator (normalised: "or", "and", "=", "==", "!=",
	// "<", "<=", ">", ">=", "$", "+", "-", "*", "/", "%", "^").
	Binary struct {
		Op   string // the normalised operator
		L, R Expr   // the left and right operands
	}
	// Assign is ":=" or a compound assignment ("+=", ...).
	Assign struct {
		Op     string // ":=", "+=", "-=", ...
		Target Expr   // the variable, element, field or property assigned
		Value  Expr   // the value assigned
	}
	// IncDec is ++ or -- ("+" or "-" in Op).
	IncDec struct {
		Op     string // "+" for ++, "-" for --
		Prefix bool   // ++x rather than x++
		Target Expr   // the variable, element, field or property changed
	}
	// Call is a function call; nil Args entries are omitted arguments.
	Call struct {
		Fn   Expr   // the function called, usually an *Ident
		Args []Expr // the arguments; nil for an omitted one
	}
	// Ref is @x in an argument list.
	Ref struct {
		X Expr // X is the variable passed by reference
	}
	// Index is a[i] (one index per node).
	Index struct {
		X   Expr // the array indexed
		Idx Expr // the index (1-based at run time)
	}
	// Member is obj:name (property).
	Member struct {
		X    Expr   // the object
		Name string // the property, as written
	}
	// MethodCall is obj:name(args).
	MethodCall struct {
		X    Expr   // the object (or *Self, *Super)
		Name string // the method, as written
		Args []Expr // the arguments; nil for an omitted one
	}
	// Field is ALIAS->FIELD; Alias is nil for FIELD->x or a Field declaration.
	Field struct {
		Alias Expr   // *Str for a literal alias, else an expression
		Name  string // the field name
	}
	// InAlias is ALIAS->(expr).
	InAlias struct {
		Alias Expr // the work area
		X     Expr // the expression evaluated in it
	}
	// MemvarRef is M->x.
	MemvarRef struct {
		Name string // Name is the memory variable, lower case
	}
	// Array is {a, , b}; nil entries are NIL.
	Array struct {
		Elems []Expr // Elems are the elements, nil for an empty one
	}
	// Block is a codeblock {|a, b| e1, e2}.
	Block struct {
		Params []string // the parameter names, lower case
		Body   []Expr   // the expressions, evaluated in order; the last is the value
	}
	// Macro is &x, &(expr) or &x.suffix.
	Macro struct {
		X      Expr   // the expression whose value is the macro text
		Suffix string // the text after a "." (&x.suffix), or ""
	}
	// List is a parenthesised list (a, b): the value of the last.
	List struct {
		Exprs []Expr // Exprs are evaluated in order
	}
	// IIf is IIf(c, a, b) or If(c, a, b).
	IIf struct {
		Cond, Then, Else Expr // the condition and the two values
	}
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
		Kind  string     // "local", "static", "private", "public", "memvar", "field"
		Items []DeclItem // the names declared, in order
	}
	// Default is Default x := v.
	Default struct {
		Pos
		Items []DeclItem // the parameters and their default values
	}
	// ExprStmt is an expression used as a statement.
	ExprStmt struct {
		Pos
		X Expr // the expression evaluated
	}
	// If is If/ElseIf/Else/EndIf and Do Case (same shape).
	If struct {
		Pos
		Conds   []Expr   // the condition of each If/ElseIf/Case clause
		CondPos []Pos    // position of each If/ElseIf/Case clause
		Blocks  [][]Stmt // the body of each clause, parallel to Conds
		ElsePos Pos      // position of Else/Otherwise, zero when absent
		Else    []Stmt   // the Else/Otherwise body
		End     Pos      // position of EndIf/EndCase
	}
	// For is For v := a To b [Step s] ... Next.
	For struct {
		Pos
		Var            Expr   // the control variable
		From, To, Step Expr   // the bounds; Step is nil when omitted (1)
		Body           []Stmt // the loop body
		End            Pos    // position of Next
	}
	// ForEach is For Each v In a ... Next.
	ForEach struct {
		Pos
		Var  Expr   // the variable that takes each element
		In   Expr   // the array iterated
		Body []Stmt // the loop body
		End  Pos    // position of Next
	}
	// While is While/Do While ... EndDo.
	While struct {
		Pos
		Cond Expr   // the loop condition
		Body []Stmt // the loop body
		End  Pos    // position of EndDo
	}
	// Exit leaves the innermost loop.
	Exit struct{ Pos }
	// Loop continues the innermost loop.
	Loop struct{ Pos }
	// Sequence is Begin Sequence ... Recover [Using v] ... End.
	Sequence struct {
		Pos
		Body       []Stmt // the guarded statements
		HasRecover bool   // a Recover clause is present
		Using      Expr   // the Using variable, or nil
		Recover    []Stmt // the Recover body
		End        Pos    // position of End Sequence
	}
	// Break is Break [x] inside a sequence.
	Break struct {
		Pos
		X Expr // the value passed to Recover Using, or nil
	}
	// Return is Return [x].
	Return struct {
		Pos
		X Expr // the value returned, or nil
	}
	// Print is ? / ?? (Double for ??).
	Print struct {
		Pos
		Double bool   // ?? (no new line first)
		Args   []Expr // the values printed
	}
)

// StmtPos returns the statement's position.
func (p Pos) StmtPos() Pos { return p }

// Func is a function or method definition.
type Func struct {
	Pos
	Name      string   // as written
	Kind      string   // "user", "function", "main", "static", "method"
	Class     string   // for methods: the class name as written
	Params    []string // the parameter names, lower case
	Body      []Stmt   // the statements of the body
	HasReturn bool     // a Return statement at the body's top level
	Err       string   // non-empty: the body failed to parse (first diagnostic)
}

// Class is a Class … EndClass declaration.
type Class struct {
	Pos
	Name   string   // the class name, as written
	Parent string   // the class it inherits from, "" for none
	Data   []string // lower case
	Inits  []Expr   // parallel to Data; nil when no Init
}

// File is a parsed source file.
type File struct {
	Top     []Stmt   // file-level statements (Static declarations, REPL code)
	Funcs   []*Func  // the functions and methods, in source order
	Classes []*Class // the class declarations, in source order
	Order   []any    // *Func, *Class and Stmt in source order
}
