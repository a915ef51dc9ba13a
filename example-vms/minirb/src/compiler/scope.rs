//! Scopes of the compiler: opening one per main/method/block/class body
//! (`push_scope`) and closing it into a bytecode `Code` (`finish`), and
//! local variables in them — red locals (`Slot::Local`) or environment
//! slots (`Slot::Env`) when a nested block can see them, temporaries,
//! lookup through enclosing block scopes (`resolve`, `get_outer`), the
//! enclosing method's parameters (for zsuper) and the "needs a home"
//! mark of methods whose blocks `return`.
//!
//! May touch: the scope stack and its ops; emits only variable ops.

use super::*;

impl Compiler<'_> {
    pub(super) fn push_scope(
        &mut self,
        kind: Kind,
        name: &str,
        env_mode: bool,
        _parent: Option<usize>,
    ) {
        let cid = bytecode::reserve_code();
        let line = self.scopes.last().map_or(1, |s| s.line);
        self.scopes.push(Scope {
            cid,
            kind,
            name: name.to_string(),
            ops: Vec::new(),
            lines: Vec::new(),
            consts: Vec::new(),
            sites: Vec::new(),
            handlers: Vec::new(),
            vars: HashMap::new(),
            nlocals: 0,
            nenv: if env_mode { 1 } else { 0 },
            env_mode,
            loops: Vec::new(),
            ensures: Vec::new(),
            retry: Vec::new(),
            line,
            depth: 0,
            params: Params::default(),
            method_params: Vec::new(),
            method_rest: None,
            needs_home: false,
        });
    }

    pub(super) fn finish(&mut self) -> usize {
        let s = self.scopes.pop().expect("a scope");
        let parent = self.scopes.last().map(|p| p.cid);
        let method_name = self.method_name_of(&s);
        let cid = s.cid;
        bytecode::set_code(
            cid,
            Code {
                name: s.name,
                filename: self.filename.clone(),
                ops: s.ops,
                lines: s.lines,
                consts: s.consts,
                sites: s.sites,
                handlers: s.handlers,
                nlocals: s.nlocals,
                nenv: s.nenv,
                params: s.params,
                is_block: s.kind == Kind::Block,
                parent,
                needs_home: s.needs_home,
                method_name,
            },
        );
        cid
    }

    pub(super) fn method_name_of(&self, s: &Scope) -> String {
        if s.kind != Kind::Block {
            return s.name.clone();
        }
        for p in self.scopes.iter().rev() {
            if p.kind != Kind::Block {
                return p.name.clone();
            }
        }
        String::new()
    }

    pub(super) fn new_slot(&mut self) -> Slot {
        let s = self.sc();
        if s.env_mode {
            s.nenv += 1;
            Slot::Env(s.nenv - 1)
        } else {
            s.nlocals += 1;
            Slot::Local(s.nlocals - 1)
        }
    }
    pub(super) fn declare(&mut self, name: &str) -> Slot {
        let sl = self.new_slot();
        self.sc().vars.insert(name.to_string(), sl);
        sl
    }
    pub(super) fn temp(&mut self) -> Slot {
        self.tmp += 1;
        let n = format!("%t{}", self.tmp);
        self.declare(&n)
    }
    /// (depth, slot) of a visible variable.
    pub(super) fn resolve(&self, name: &str) -> Option<(usize, Slot)> {
        let mut d = 0;
        for s in self.scopes.iter().rev() {
            if let Some(sl) = s.vars.get(name) {
                return Some((d, *sl));
            }
            if s.kind != Kind::Block {
                return None;
            }
            if s.env_mode {
                d += 1;
            }
        }
        None
    }
    pub(super) fn get_var(&mut self, name: &str) {
        match self.resolve(name) {
            Some((0, Slot::Local(i))) => self.emit(Op::GetLocal(i)),
            Some((d, Slot::Env(i))) => self.emit(Op::GetEnv(d, i)),
            Some((_, Slot::Local(_))) => self.emit(Op::Nil),
            None => self.emit(Op::Nil),
        }
    }
    pub(super) fn get_slot(&mut self, s: Slot) {
        match s {
            Slot::Local(i) => self.emit(Op::GetLocal(i)),
            Slot::Env(i) => self.emit(Op::GetEnv(0, i)),
        }
    }
    pub(super) fn set_slot(&mut self, s: Slot) {
        match s {
            Slot::Local(i) => self.emit(Op::SetLocal(i)),
            Slot::Env(i) => self.emit(Op::SetEnv(0, i)),
        }
    }
    /// Pops into local variable `name` (declared here if new).
    pub(super) fn set_var(&mut self, name: &str) {
        match self.resolve(name) {
            Some((0, Slot::Local(i))) => self.emit(Op::SetLocal(i)),
            Some((d, Slot::Env(i))) => self.emit(Op::SetEnv(d, i)),
            _ => {
                let s = self.declare(name);
                self.set_slot(s);
            }
        }
    }

    pub(super) fn get_outer(&mut self, d: usize, s: Slot) {
        match (d, s) {
            (0, s) => self.get_slot(s),
            (d, Slot::Env(i)) => self.emit(Op::GetEnv(d, i)),
            _ => self.emit(Op::Nil),
        }
    }
    #[allow(clippy::type_complexity)]
    pub(super) fn method_params(&self) -> (Option<(usize, Vec<Slot>)>, Option<Slot>) {
        let mut d = 0;
        for s in self.scopes.iter().rev() {
            if s.kind == Kind::Method {
                return (Some((d, s.method_params.clone())), s.method_rest);
            }
            if s.kind != Kind::Block {
                break;
            }
            if s.env_mode {
                d += 1;
            }
        }
        (None, None)
    }

    /// A `return` in a block of this scope: the enclosing method needs a home.
    pub(super) fn mark_home(&mut self) {
        for s in self.scopes.iter_mut().rev() {
            if s.kind != Kind::Block {
                s.needs_home = true;
                return;
            }
        }
    }
}
