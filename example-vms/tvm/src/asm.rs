//! The test language's text form and its parser.
//!
//! Owns: `Instr`, `Func`, `Program`, and `parse`. A program is a list of
//! functions; execution starts at `main` (no arguments).
//!
//! ```text
//! # sum 0..n-1
//! func main args=0 locals=2
//!     push 0
//!     store 1
//! loop:
//!     load 1
//!     push 1000
//!     lt
//!     jumpifnot done
//!     ...
//!     jump loop          # a backward jump: can_enter_jit
//! done:
//!     load 0
//!     print
//!     push 0
//!     ret
//! ```

use std::fmt;

/// One instruction. Values are ints (boxed) or object references.
#[derive(Clone, Debug, PartialEq)]
pub enum Instr {
    Push(i64),
    Load(usize),
    Store(usize),
    Pop,
    Dup,
    Add,
    Sub,
    Mul,
    Lt,
    Eq,
    Jump(usize),
    JumpIf(usize),
    JumpIfNot(usize),
    /// `call FUNC`: pops the callee's arguments, pushes its result.
    Call(usize),
    Ret,
    Print,
    /// `new N`: an object with N fields (all 0) of the program's class.
    New(usize),
    /// `newarray`: pops a length n (0 <= n <= `MAX_NEWARRAY`), pushes an
    /// object with n fields that start out *empty* (null: printing one
    /// shows `<object>`, arithmetic on one is a TypeError) — the length is
    /// a red value, so this is a variable-length `new_array` in traces.
    NewArray,
    GetField(usize),
    SetField(usize),
    /// Pushes the class version (a quasi-immutable field of the class).
    ClassVersion,
    /// Increments the class version: invalidates loops that read it.
    BumpVersion,
    /// `promote` the int on top of the stack (guard_value).
    Promote,
    /// Elidable `x*x + 1` of the top of the stack.
    Square,
    /// `printadd`: pops b and a, prints a, pushes a + b (overflow checked).
    /// An effect followed by a guard in one instruction: deoptimization
    /// must not print twice.
    PrintAdd,
    /// `fold FUNC`: pops n and then acc, pushes `FUNC(...FUNC(FUNC(acc, 0),
    /// 1)..., n-1)`. The loop runs in a Rust helper that calls FUNC (a
    /// function of two arguments) as guest code: `call_may_force`.
    Fold(usize),
}

#[derive(Clone, Debug)]
pub struct Func {
    pub name: String,
    pub args: usize,
    pub locals: usize,
    pub code: Vec<Instr>,
    /// Source line of each instruction.
    pub lines: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct Program {
    pub funcs: Vec<Func>,
    pub main: usize,
}

/// A parse error with its 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmError {
    pub line: usize,
    pub msg: String,
}
impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}
impl std::error::Error for AsmError {}

fn err<T>(line: usize, msg: impl Into<String>) -> Result<T, AsmError> {
    Err(AsmError {
        line,
        msg: msg.into(),
    })
}

pub fn parse(src: &str) -> Result<Program, AsmError> {
    // Pass 1: function names, so calls may refer forward.
    let mut names = Vec::new();
    for (i, raw) in src.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if let Some(rest) = line.strip_prefix("func ") {
            let name = rest.split_whitespace().next().unwrap_or("");
            if names.iter().any(|(n, _)| n == name) {
                return err(i + 1, format!("function '{name}' defined twice"));
            }
            names.push((name.to_string(), i + 1));
        }
    }
    let mut funcs: Vec<Func> = Vec::new();
    // (func, instr index, label, line) to patch
    let mut fixups: Vec<(usize, usize, String, usize)> = Vec::new();
    let mut labels: Vec<std::collections::HashMap<String, usize>> = Vec::new();
    for (i, raw) in src.lines().enumerate() {
        let ln = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let head = words.next().unwrap();
        if head == "func" {
            let name = words.next().ok_or(AsmError {
                line: ln,
                msg: "func needs a name".into(),
            })?;
            let mut args = 0;
            let mut locals = 0;
            for w in words {
                let (k, v) = w.split_once('=').ok_or(AsmError {
                    line: ln,
                    msg: format!("expected args=N or locals=N, got '{w}'"),
                })?;
                let v: usize = v.parse().map_err(|_| AsmError {
                    line: ln,
                    msg: format!("bad number '{v}'"),
                })?;
                match k {
                    "args" => args = v,
                    "locals" => locals = v,
                    _ => return err(ln, format!("unknown function attribute '{k}'")),
                }
            }
            if locals < args {
                locals = args;
            }
            if locals > 256 {
                return err(ln, "at most 256 locals");
            }
            funcs.push(Func {
                name: name.to_string(),
                args,
                locals,
                code: Vec::new(),
                lines: Vec::new(),
            });
            labels.push(Default::default());
            continue;
        }
        let fi = funcs.len().wrapping_sub(1);
        let Some(f) = funcs.last_mut() else {
            return err(
                ln,
                "instruction outside a function (start with 'func NAME')",
            );
        };
        if let Some(label) = head.strip_suffix(':') {
            if words.next().is_some() {
                return err(ln, "a label stands alone on its line");
            }
            if labels[fi].insert(label.to_string(), f.code.len()).is_some() {
                return err(ln, format!("label '{label}' defined twice"));
            }
            continue;
        }
        let arg = words.next();
        if words.next().is_some() {
            return err(ln, format!("too many operands for '{head}'"));
        }
        let need = |what: &str| {
            arg.ok_or(AsmError {
                line: ln,
                msg: format!("'{head}' needs {what}"),
            })
        };
        let num = |what: &str| -> Result<i64, AsmError> {
            let a = need(what)?;
            a.parse().map_err(|_| AsmError {
                line: ln,
                msg: format!("bad number '{a}'"),
            })
        };
        let idx = |what: &str, limit: usize| -> Result<usize, AsmError> {
            let n = num(what)?;
            if n < 0 || n as usize >= limit {
                return err(ln, format!("{what} {n} out of range (0..{limit})"));
            }
            Ok(n as usize)
        };
        let instr = match head {
            "push" => Instr::Push(num("a number")?),
            "load" => Instr::Load(idx("local", f.locals)?),
            "store" => Instr::Store(idx("local", f.locals)?),
            "pop" => Instr::Pop,
            "dup" => Instr::Dup,
            "add" => Instr::Add,
            "sub" => Instr::Sub,
            "mul" => Instr::Mul,
            "lt" => Instr::Lt,
            "eq" => Instr::Eq,
            "jump" | "jumpif" | "jumpifnot" => {
                fixups.push((fi, f.code.len(), need("a label")?.to_string(), ln));
                match head {
                    "jump" => Instr::Jump(0),
                    "jumpif" => Instr::JumpIf(0),
                    _ => Instr::JumpIfNot(0),
                }
            }
            "call" => {
                let name = need("a function name")?;
                let target = names.iter().position(|(n, _)| n == name).ok_or(AsmError {
                    line: ln,
                    msg: format!("unknown function '{name}'"),
                })?;
                Instr::Call(target)
            }
            "fold" => {
                let name = need("a function name")?;
                let target = names.iter().position(|(n, _)| n == name).ok_or(AsmError {
                    line: ln,
                    msg: format!("unknown function '{name}'"),
                })?;
                Instr::Fold(target)
            }
            "ret" => Instr::Ret,
            "print" => Instr::Print,
            "new" => Instr::New(idx("field count", 65)?),
            "newarray" => Instr::NewArray,
            "getfield" => Instr::GetField(idx("field", 64)?),
            "setfield" => Instr::SetField(idx("field", 64)?),
            "classversion" => Instr::ClassVersion,
            "bumpversion" => Instr::BumpVersion,
            "promote" => Instr::Promote,
            "square" => Instr::Square,
            "printadd" => Instr::PrintAdd,
            _ => return err(ln, format!("unknown instruction '{head}'")),
        };
        f.code.push(instr);
        f.lines.push(ln);
    }
    for (fi, at, label, ln) in fixups {
        let target = *labels[fi].get(&label).ok_or(AsmError {
            line: ln,
            msg: format!("unknown label '{label}'"),
        })?;
        match &mut funcs[fi].code[at] {
            Instr::Jump(t) | Instr::JumpIf(t) | Instr::JumpIfNot(t) => *t = target,
            _ => unreachable!(),
        }
    }
    for f in &funcs {
        for (i, ins) in f.code.iter().enumerate() {
            if let Instr::Fold(t) = ins {
                if funcs[*t].args != 2 {
                    return err(
                        f.lines[i],
                        format!(
                            "fold needs a function of 2 arguments, '{}' takes {}",
                            funcs[*t].name, funcs[*t].args
                        ),
                    );
                }
            }
        }
    }
    let main = funcs
        .iter()
        .position(|f| f.name == "main")
        .ok_or(AsmError {
            line: 1,
            msg: "no 'main' function".into(),
        })?;
    if funcs[main].args != 0 {
        return err(names[main].1, "'main' takes no arguments");
    }
    Ok(Program { funcs, main })
}
