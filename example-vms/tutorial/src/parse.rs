//! The `calc` language: its instructions and its parser, shared by every
//! step of the tutorial (none of this knows about the JIT).
//!
//! Owns: [`Instr`], [`Program`] (instructions, register names, the source
//! line of each instruction) and [`Program::parse`].
//!
//! `calc` is a register machine. One instruction per line, `#` starts a
//! comment, `name:` defines a label. Registers are named by any word and
//! start at 0:
//!
//! ```text
//! set r N      r = N                 add d s   d = d + s (wrapping)
//! mov d s      d = s                 sub d s   d = d - s
//! addi d N     d = d + N             mul d s   d = d * s
//! lt d a b     d = (a < b) as 0/1    print r   prints r and a newline
//! jnz r L      goto L if r != 0      jmp L     goto L
//! ```
//!
//! Step 3 adds `scale d s` (d = s * the scale setting), `setscale s`
//! (scale = s), `promote r` and `fib d s` (d = the s-th Fibonacci number).

use std::collections::HashMap;
use std::fmt;

/// A register number (index into the frame's registers).
pub type Reg = usize;

/// One instruction. Jump targets are instruction indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instr {
    Set(Reg, i64),
    Mov(Reg, Reg),
    Add(Reg, Reg),
    Sub(Reg, Reg),
    Mul(Reg, Reg),
    AddI(Reg, i64),
    Lt(Reg, Reg, Reg),
    Jnz(Reg, usize),
    Jmp(usize),
    Print(Reg),
    /// Step 3: `d = s * scale`, the scale being a quasi-immutable field.
    Scale(Reg, Reg),
    /// Step 3: writes the scale setting.
    SetScale(Reg),
    /// Step 3: makes the register's value a constant of the trace.
    Promote(Reg),
    /// Step 3: `d = fib(s)`, an elidable call.
    Fib(Reg, Reg),
}

impl Instr {
    /// Whether the instruction only exists from step 3 on.
    pub fn is_step3(&self) -> bool {
        matches!(
            self,
            Instr::Scale(..) | Instr::SetScale(_) | Instr::Promote(_) | Instr::Fib(..)
        )
    }
}

/// A parsed program.
#[derive(Clone, Debug)]
pub struct Program {
    pub code: Vec<Instr>,
    /// The 1-based source line of each instruction.
    pub lines: Vec<usize>,
    /// The source text of each instruction (trimmed, comment removed).
    pub texts: Vec<String>,
    /// Register names, by register number.
    pub regs: Vec<String>,
}

/// A parse error, naming the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}
impl std::error::Error for ParseError {}

impl Program {
    /// Parses `src`. Every malformed line is an error naming it.
    pub fn parse(src: &str) -> Result<Program, ParseError> {
        let mut labels = HashMap::new();
        let mut pending: Vec<(usize, &str, Vec<&str>)> = Vec::new();
        for (i, raw) in src.lines().enumerate() {
            let line = i + 1;
            let text = raw.split('#').next().unwrap_or("").trim();
            if text.is_empty() {
                continue;
            }
            if let Some(label) = text.strip_suffix(':') {
                if labels.insert(label.trim(), pending.len()).is_some() {
                    return Err(err(line, format!("label `{label}` defined twice")));
                }
                continue;
            }
            let words: Vec<&str> = text.split_whitespace().collect();
            pending.push((line, text, words));
        }
        let mut p = Program {
            code: Vec::new(),
            lines: Vec::new(),
            texts: Vec::new(),
            regs: Vec::new(),
        };
        let mut reg_of: HashMap<String, Reg> = HashMap::new();
        for (line, text, words) in pending {
            let mut reg = |name: &str| -> Result<Reg, ParseError> {
                if !name.chars().all(|c| c.is_alphanumeric() || c == '_')
                    || name.starts_with(|c: char| c.is_ascii_digit())
                {
                    return Err(err(line, format!("`{name}` is not a register name")));
                }
                let n = p.regs.len();
                Ok(*reg_of.entry(name.to_string()).or_insert_with(|| {
                    p.regs.push(name.to_string());
                    n
                }))
            };
            let int = |s: &str| -> Result<i64, ParseError> {
                s.parse()
                    .map_err(|_| err(line, format!("`{s}` is not an integer")))
            };
            let label = |s: &str| -> Result<usize, ParseError> {
                labels
                    .get(s)
                    .copied()
                    .ok_or_else(|| err(line, format!("no label `{s}`")))
            };
            let arity = |n: usize| -> Result<(), ParseError> {
                if words.len() == n + 1 {
                    Ok(())
                } else {
                    Err(err(
                        line,
                        format!(
                            "`{}` takes {n} operand(s), got {}",
                            words[0],
                            words.len() - 1
                        ),
                    ))
                }
            };
            let instr = match words[0] {
                "set" => {
                    arity(2)?;
                    Instr::Set(reg(words[1])?, int(words[2])?)
                }
                "mov" | "add" | "sub" | "mul" | "scale" | "fib" => {
                    arity(2)?;
                    let (d, s) = (reg(words[1])?, reg(words[2])?);
                    match words[0] {
                        "mov" => Instr::Mov(d, s),
                        "add" => Instr::Add(d, s),
                        "sub" => Instr::Sub(d, s),
                        "mul" => Instr::Mul(d, s),
                        "scale" => Instr::Scale(d, s),
                        _ => Instr::Fib(d, s),
                    }
                }
                "addi" => {
                    arity(2)?;
                    Instr::AddI(reg(words[1])?, int(words[2])?)
                }
                "lt" => {
                    arity(3)?;
                    Instr::Lt(reg(words[1])?, reg(words[2])?, reg(words[3])?)
                }
                "jnz" => {
                    arity(2)?;
                    Instr::Jnz(reg(words[1])?, label(words[2])?)
                }
                "jmp" => {
                    arity(1)?;
                    Instr::Jmp(label(words[1])?)
                }
                "print" | "setscale" | "promote" => {
                    arity(1)?;
                    let r = reg(words[1])?;
                    match words[0] {
                        "print" => Instr::Print(r),
                        "setscale" => Instr::SetScale(r),
                        _ => Instr::Promote(r),
                    }
                }
                other => return Err(err(line, format!("unknown instruction `{other}`"))),
            };
            p.code.push(instr);
            p.lines.push(line);
            p.texts.push(text.to_string());
        }
        Ok(p)
    }

    /// RPython's `get_printable_location` for instruction `pc`: the source
    /// line and its text (`mtlog html --source` maps `line N` to the file).
    pub fn location(&self, pc: usize) -> String {
        match self.code.get(pc) {
            Some(_) => format!("calc line {}: {}", self.lines[pc], self.texts[pc]),
            None => "calc end".to_string(),
        }
    }

    /// An error if the program uses an instruction this step lacks.
    pub fn check_before_step3(&self) -> Result<(), ParseError> {
        match self.code.iter().position(Instr::is_step3) {
            Some(pc) => Err(err(
                self.lines[pc],
                format!("`{}` needs step 3 (--step 3)", self.texts[pc]),
            )),
            None => Ok(()),
        }
    }
}

fn err(line: usize, message: String) -> ParseError {
    ParseError { line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_labels_registers_and_lines() {
        let p = Program::parse("# c\n set a 5\nl:\n addi a -1 # x\n jnz a l\n").unwrap();
        assert_eq!(
            p.code,
            vec![Instr::Set(0, 5), Instr::AddI(0, -1), Instr::Jnz(0, 1)]
        );
        assert_eq!(p.lines, vec![2, 4, 5]);
        assert_eq!(p.texts[1], "addi a -1");
        assert_eq!(p.location(1), "calc line 4: addi a -1");
    }

    #[test]
    fn errors_name_the_line() {
        let e = Program::parse("set a 1\nfrob a\n").unwrap_err();
        assert_eq!(e.to_string(), "line 2: unknown instruction `frob`");
        let e = Program::parse("set a x\n").unwrap_err();
        assert_eq!(e.to_string(), "line 1: `x` is not an integer");
        let e = Program::parse("jmp nowhere\n").unwrap_err();
        assert_eq!(e.to_string(), "line 1: no label `nowhere`");
        let e = Program::parse("add a\n").unwrap_err();
        assert_eq!(e.to_string(), "line 1: `add` takes 2 operand(s), got 1");
        let e = Program::parse("set 1a 1\n").unwrap_err();
        assert_eq!(e.to_string(), "line 1: `1a` is not a register name");
        let p = Program::parse("set a 1\npromote a\n").unwrap();
        assert_eq!(
            p.check_before_step3().unwrap_err().to_string(),
            "line 2: `promote a` needs step 3 (--step 3)"
        );
    }
}
