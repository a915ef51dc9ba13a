//! From `lib-ruby-parser`'s AST to minirb bytecode.
//!
//! Owns: parsing (syntax errors reported as CRuby words them:
//! `file:line: message`), the compiler's state (the scope stack, loops,
//! call sites), `compile_program`, the stack-effect table of the ops
//! (`op_effect`), and the emitting primitives every part uses (`emit`,
//! jumps and their patching, constants, line numbers, sends). The
//! lowering itself is split by concern, each an `impl Compiler` block:
//! - `scope` — scopes and local variables (red locals or env slots);
//! - `expr` — expressions, literals, assignment, `op_asgn`, `defined?`;
//! - `call` — sends, `super`, blocks, `def`/class bodies, parameters;
//! - `stmt` — control flow: conditionals, loops, `break`/`next`/`return`,
//!   `case`, `rescue`/`ensure`.
//!
//! Constructs minirb does not support compile to a runtime
//! `NotImplementedError`, so the rest of a program still runs.

use crate::bytecode::{self, Code, Handler, Op, Params, Site, Slot};
use crate::objects::{self, keep};
use lib_ruby_parser::nodes;
use lib_ruby_parser::traverse::visitor::{self as visit, Visitor};
use lib_ruby_parser::{Node, Parser, ParserOptions};
use metatrace::heap::GcRef;
use std::collections::HashMap;

mod call;
mod expr;
mod scope;
mod stmt;

/// A syntax error, rendered as CRuby prints it.
pub struct SyntaxError(pub String);

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Main,
    Method,
    Block,
    Class,
}

struct Loop {
    cond: usize,
    breaks: Vec<usize>,
    depth: usize,
    ensures: usize,
}

struct Scope {
    cid: usize,
    kind: Kind,
    name: String,
    ops: Vec<Op>,
    lines: Vec<usize>,
    consts: Vec<GcRef>,
    sites: Vec<Site>,
    handlers: Vec<Handler>,
    vars: HashMap<String, Slot>,
    nlocals: usize,
    nenv: usize,
    env_mode: bool,
    loops: Vec<Loop>,
    ensures: Vec<Option<Box<Node>>>,
    retry: Vec<(usize, usize)>,
    line: usize,
    depth: usize,
    params: Params,
    /// zsuper: the parameter slots (req+opt, rest).
    method_params: Vec<Slot>,
    method_rest: Option<Slot>,
    needs_home: bool,
}

struct Compiler<'a> {
    filename: String,
    line_starts: &'a [usize],
    scopes: Vec<Scope>,
    tmp: usize,
}

type R<T> = Result<T, SyntaxError>;

/// Finds nested blocks (not crossing def/class) and `return`s in them.
#[derive(Default)]
struct BlockFinder {
    blocks: bool,
    in_block: usize,
    returns_in_block: bool,
}
impl Visitor for BlockFinder {
    fn on_block(&mut self, n: &nodes::Block) {
        self.blocks = true;
        self.visit(&n.call);
        self.in_block += 1;
        if let Some(a) = &n.args {
            self.visit(a);
        }
        if let Some(b) = &n.body {
            self.visit(b);
        }
        self.in_block -= 1;
    }
    fn on_numblock(&mut self, n: &nodes::Numblock) {
        self.blocks = true;
        self.visit(&n.call);
        self.in_block += 1;
        self.visit(&n.body);
        self.in_block -= 1;
    }
    fn on_return(&mut self, n: &nodes::Return) {
        if self.in_block > 0 {
            self.returns_in_block = true;
        }
        visit::visit_return(self, n);
    }
    fn on_def(&mut self, _: &nodes::Def) {}
    fn on_defs(&mut self, _: &nodes::Defs) {}
    fn on_class(&mut self, _: &nodes::Class) {}
    fn on_module(&mut self, _: &nodes::Module) {}
    fn on_s_class(&mut self, _: &nodes::SClass) {}
}

fn scan(body: Option<&Node>) -> BlockFinder {
    let mut f = BlockFinder::default();
    if let Some(b) = body {
        f.visit(b);
    }
    f
}

/// Parses `src`; the program's AST or a syntax error.
fn parse(filename: &str, src: &str) -> Result<(Option<Box<Node>>, Vec<usize>), SyntaxError> {
    let opts = ParserOptions {
        buffer_name: filename.to_string(),
        record_tokens: false,
        ..Default::default()
    };
    let res = Parser::new(src.as_bytes().to_vec(), opts).do_parse();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let line_of = |off: usize| line_starts.partition_point(|s| *s <= off);
    let errors: Vec<_> = res
        .diagnostics
        .iter()
        .filter(|d| matches!(d.level, lib_ruby_parser::ErrorLevel::Error))
        .collect();
    if !errors.is_empty() {
        let msg = errors
            .iter()
            .map(|d| {
                format!(
                    "{filename}:{}: syntax error, {}",
                    line_of(d.loc.begin),
                    d.render_message()
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        return Err(SyntaxError(msg));
    }
    Ok((res.ast, line_starts))
}

/// Compiles a program (or a required file); returns its main code id.
pub fn compile_program(filename: &str, src: &str) -> Result<usize, SyntaxError> {
    let (ast, line_starts) = parse(filename, src)?;
    let mut c = Compiler {
        filename: filename.to_string(),
        line_starts: &line_starts,
        scopes: Vec::new(),
        tmp: 0,
    };
    let f = scan(ast.as_deref());
    c.push_scope(Kind::Main, "<main>", f.blocks, None);
    c.body(ast.as_deref())?;
    c.emit(Op::Return);
    Ok(c.finish())
}

fn sym(name: &str) -> usize {
    objects::sym_id(name)
}

fn op_effect(op: &Op, sites: &[Site]) -> (usize, usize) {
    use Op::*;
    match *op {
        Nil | True | False | SelfV | Lit(_) | Str(_) | GetLocal(_) | GetEnv(..) | GetIvar(_)
        | GetGlobal(_) | GetCvar(_) | GetConst(_) | BlockGiven | BlockArg | Lambda(_) => (0, 1),
        Over(_) | Dup => (0, 1),
        SetLocal(_) | SetEnv(..) | SetIvar(_) | SetGlobal(_) | SetCvar(_) | SetConst(_) | Pop => {
            (1, 0)
        }
        SetConstFrom(_) => (2, 0),
        GetConstFrom(_) | IsUndef | ToArray | ToS | Defined(_) => (1, 1),
        Swap => (2, 2),
        Send(i) => {
            let s = &sites[i];
            (1 + s.argc + s.blk_arg as usize, 1)
        }
        Super(i) => {
            let s = &sites[i];
            (s.argc + s.blk_arg as usize, 1)
        }
        Yield(n, _) => (n, 1),
        Jump(_) => (0, 0),
        JumpIf(_) | JumpIfNot(_) => (1, 0),
        JumpIfNil(_) => (0, 0),
        MakeArray(n) => (n, 1),
        ArrayPush | ArrayConcat => (2, 1),
        Expand(a, r, b) => (1, a + r as usize + b),
        MakeHash(n) => (2 * n, 1),
        MakeRange(_) => (2, 1),
        Concat(n) => (n, 1),
        Def(..) => (0, 1),
        DefS(..) => (1, 1),
        Class(..) => (2, 1),
        Module(..) => (1, 1),
        SClass(_) => (1, 1),
        Return | ReturnNonLocal | Break | Raise => (1, 0),
        ExcMatch(n) => (n, 1),
    }
}

impl Compiler<'_> {
    fn sc(&mut self) -> &mut Scope {
        self.scopes.last_mut().expect("a scope")
    }
    fn emit(&mut self, op: Op) {
        let s = self.scopes.last_mut().expect("a scope");
        let (p, q) = op_effect(&op, &s.sites);
        s.depth = s.depth.saturating_sub(p) + q;
        let l = s.line;
        s.ops.push(op);
        s.lines.push(l);
    }
    fn depth(&self) -> usize {
        self.scopes.last().expect("a scope").depth
    }
    fn set_depth(&mut self, d: usize) {
        self.sc().depth = d;
    }
    fn pc(&mut self) -> usize {
        self.sc().ops.len()
    }
    fn patch(&mut self, at: usize, target: usize) {
        let op = &mut self.sc().ops[at];
        *op = match *op {
            Op::Jump(_) => Op::Jump(target),
            Op::JumpIf(_) => Op::JumpIf(target),
            Op::JumpIfNot(_) => Op::JumpIfNot(target),
            Op::JumpIfNil(_) => Op::JumpIfNil(target),
            o => o,
        };
    }
    fn patch_here(&mut self, at: usize) {
        let here = self.pc();
        self.patch(at, here);
    }
    fn konst(&mut self, r: GcRef) -> usize {
        // Rooted now, not when the scope is finished: the scope's constant
        // table is a plain Vec the collector cannot see, and the next
        // literal's allocation may collect.
        keep(r);
        let s = self.sc();
        s.consts.push(r);
        s.consts.len() - 1
    }
    fn lit(&mut self, r: GcRef) {
        let i = self.konst(r);
        self.emit(Op::Lit(i));
    }
    fn lit_sym(&mut self, name: &str) {
        let r = objects::sym(name);
        self.lit(r);
    }
    fn str_lit(&mut self, s: &str) {
        let r = objects::new_str(s);
        let i = self.konst(r);
        self.emit(Op::Str(i));
    }
    fn line(&self, n: &Node) -> usize {
        self.line_starts
            .partition_point(|s| *s <= n.expression().begin)
    }
    fn at(&mut self, n: &Node) {
        let l = self.line(n);
        self.sc().line = l;
    }

    fn runtime_error(&mut self, what: &str, n: &Node) {
        self.at(n);
        self.emit(Op::SelfV);
        let c = objects::new_str("NotImplementedError");
        let _ = c;
        self.emit(Op::GetConst(sym("NotImplementedError")));
        self.str_lit(&format!("minirb does not support {what}"));
        self.send_site(sym("raise"), 2, true);
    }

    fn send_site(&mut self, s: usize, argc: usize, fcall: bool) {
        let site = Site {
            sym: s,
            argc,
            splat: false,
            kw: false,
            blk: None,
            blk_arg: false,
            fcall,
            safe: false,
            zsuper: false,
        };
        self.emit_site(site, false);
    }
    fn emit_site(&mut self, site: Site, sup: bool) {
        let sc = self.sc();
        sc.sites.push(site);
        let i = sc.sites.len() - 1;
        self.emit(if sup { Op::Super(i) } else { Op::Send(i) });
    }
}

fn parse_int(s: &str) -> num_bigint::BigInt {
    use num_traits::Num;
    let t = s.replace('_', "");
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, t.trim_start_matches('+').to_string()),
    };
    let lower = t.to_ascii_lowercase();
    let v = if let Some(h) = lower.strip_prefix("0x") {
        num_bigint::BigInt::from_str_radix(h, 16)
    } else if let Some(b) = lower.strip_prefix("0b") {
        num_bigint::BigInt::from_str_radix(b, 2)
    } else if let Some(o) = lower.strip_prefix("0o") {
        num_bigint::BigInt::from_str_radix(o, 8)
    } else if lower.len() > 1 && lower.starts_with('0') {
        num_bigint::BigInt::from_str_radix(&lower[1..], 8)
    } else {
        num_bigint::BigInt::from_str_radix(&lower, 10)
    };
    let v = v.unwrap_or_default();
    if neg {
        -v
    } else {
        v
    }
}
