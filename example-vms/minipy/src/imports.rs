//! The import system: modules as `.py` files next to the main script and
//! packages as directories with an `__init__.py`, plus the builtin modules.
//!
//! Owns: resolving relative names (`from . import x`, `from ..m import y`)
//! against the importing module, importing every package on a dotted path
//! (each module runs once and is cached by its full name, so a package's
//! `__init__` runs before its submodules and only once), binding
//! submodules as attributes of their parent, `from m import name` falling
//! back to the submodule `m.name`, and `__import__`.

use crate::interp::{module_cell, Res, Vm};
use crate::objects::*;
use metatrace::heap::GcRef;
use metatrace::Jit;
use std::path::PathBuf;

fn set(m: GcRef, name: &str, v: GcRef) {
    setr(module_cell(m, name), &cell_obj::value, v);
}

fn get(m: GcRef, name: &str) -> Option<GcRef> {
    let c = crate::dict::get_str(getr(m, &module_obj::dict), name)?;
    let v = getr(c, &cell_obj::value);
    (!v.is_null()).then_some(v)
}

/// The directory a package's submodules live in.
fn package_dir(m: GcRef) -> Option<PathBuf> {
    let p = get(m, "__path__")?;
    let first = list_items(p).into_iter().next()?;
    Some(PathBuf::from(str_of(first)))
}

/// `dir/name/__init__.py` (a package) or `dir/name.py`.
fn find_source(dir: &std::path::Path, name: &str) -> Option<(PathBuf, bool)> {
    let init = dir.join(name).join("__init__.py");
    if init.is_file() {
        return Some((init, true));
    }
    let file = dir.join(format!("{name}.py"));
    file.is_file().then_some((file, false))
}

impl Vm {
    pub fn module_by_name(&self, name: &str) -> Option<GcRef> {
        self.modules
            .iter()
            .enumerate()
            .find(|(i, m)| {
                !self.failed_modules.contains(i) && str_of(getr(**m, &module_obj::name)) == name
            })
            .map(|p| *p.1)
    }

    /// `import name` (level 0) or the module part of `from ... import`
    /// (relative when `level` > 0), run from module `importer`. Returns the
    /// leaf module if `leaf`, else the top-level package (what `import a.b`
    /// binds).
    pub fn import<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        name: &str,
        level: usize,
        leaf: bool,
        importer: usize,
    ) -> Res<C, C::Ref> {
        let full = if level == 0 {
            name.to_string()
        } else {
            let base = self.relative_base(importer, level);
            match base {
                Some(b) if name.is_empty() => b,
                Some(b) => format!("{b}.{name}"),
                None => {
                    return Err(self.exc(
                        ctx,
                        ExcKind::ImportError,
                        "attempted relative import with no known parent package",
                    ))
                }
            }
        };
        let mut top = GcRef::NULL;
        let mut cur = GcRef::NULL;
        let parts: Vec<&str> = full.split('.').collect();
        for i in 0..parts.len() {
            let prefix = parts[..=i].join(".");
            cur = self.load(ctx, &prefix, cur)?;
            if i == 0 {
                top = cur;
            }
        }
        Ok(ctx.const_ref(if leaf { cur } else { top }))
    }

    /// The package a relative import with `level` dots starts from.
    fn relative_base(&self, importer: usize, level: usize) -> Option<String> {
        let m = *self.modules.get(importer)?;
        let name = str_of(getr(m, &module_obj::name));
        if name == "__main__" {
            return None;
        }
        let mut parts: Vec<&str> = name.split('.').collect();
        if get(m, "__path__").is_none() {
            parts.pop();
        }
        for _ in 1..level {
            parts.pop()?;
        }
        (!parts.is_empty()).then(|| parts.join("."))
    }

    /// The module `full` (cached, builtin, or run from its file now);
    /// `parent` is the already-imported package above it (null at top).
    fn load<C: Jit<Self>>(&mut self, ctx: &mut C, full: &str, parent: GcRef) -> Res<C, GcRef> {
        if let Some(m) = self.module_by_name(full) {
            return Ok(m);
        }
        let short = full.rsplit('.').next().unwrap_or(full);
        if parent.is_null() {
            if crate::modules::is_builtin_module(full) {
                let m = crate::new_module(self, full);
                if let Some(m) = crate::modules::fill_builtin_module(m, full) {
                    return Ok(m);
                }
            }
            if let Some(text) = crate::modules::frozen_source(full) {
                return self.run_module(ctx, full, &format!("<frozen {full}>"), text);
            }
        }
        let dir = if parent.is_null() {
            Some(self.main_dir.clone())
        } else {
            package_dir(parent)
        };
        let Some(dir) = dir else {
            let p = str_of(getr(parent, &module_obj::name));
            let msg = format!("No module named '{full}'; '{p}' is not a package");
            return Err(self.exc(ctx, ExcKind::ModuleNotFoundError, &msg));
        };
        let Some((path, is_pkg)) = find_source(&dir, short) else {
            let msg = format!("No module named '{full}'");
            return Err(self.exc(ctx, ExcKind::ModuleNotFoundError, &msg));
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            let msg = format!("cannot read module '{full}'");
            return Err(self.exc(ctx, ExcKind::ImportError, &msg));
        };
        let m = crate::new_module(self, full);
        let shown = path.to_string_lossy().into_owned();
        set(m, "__file__", new_str(&shown));
        if is_pkg {
            let pkg = path.parent().map(|p| p.to_string_lossy().into_owned());
            set(
                m,
                "__path__",
                new_list(&[new_str(&pkg.unwrap_or_default())]),
            );
        }
        if !parent.is_null() {
            // Bound before the body runs, like CPython (cycles see it).
            set(parent, short, m);
        }
        self.exec_module(ctx, m, &shown, &text)
    }

    /// A new module `name` running `text` (shown as file `shown`).
    fn run_module<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        name: &str,
        shown: &str,
        text: &str,
    ) -> Res<C, GcRef> {
        let m = crate::new_module(self, name);
        self.exec_module(ctx, m, shown, text)
    }

    /// Compiles and runs a module body in the (last registered) module `m`.
    fn exec_module<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        m: GcRef,
        shown: &str,
        text: &str,
    ) -> Res<C, GcRef> {
        let mid = self.modules.len() - 1;
        let r = self.exec_module_body(ctx, m, mid, shown, text);
        if r.is_err() {
            self.failed_modules.push(mid);
        }
        r
    }

    fn exec_module_body<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        m: GcRef,
        mid: usize,
        shown: &str,
        text: &str,
    ) -> Res<C, GcRef> {
        let src = crate::compile::Source::new(shown, text);
        let cid = match crate::compile::compile_module(&src, text, mid) {
            Ok(c) => c,
            Err(e) => {
                return Err(self.exc(
                    ctx,
                    ExcKind::SyntaxError,
                    &format!("{} ({shown}, line {})", e.msg, e.line),
                ))
            }
        };
        let f = crate::module_function(cid, m);
        let fr = ctx.const_ref(f);
        self.call_function(ctx, fr, vec![], &[], vec![])?;
        Ok(m)
    }

    /// `from m import name`: the attribute, else the submodule `m.name`.
    pub fn import_from<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        m: C::Ref,
        name: GcRef,
    ) -> Res<C, C::Ref> {
        if let Ok(v) = self.getattr(ctx, m, name) {
            return Ok(v);
        }
        let mc = ctx.peek_ref(m);
        let attr = str_of(name);
        if mc.tid() == tid::MODULE {
            let mname = str_of(getr(mc, &module_obj::name));
            if package_dir(mc).is_some_and(|d| find_source(&d, &attr).is_some()) {
                let sub = format!("{mname}.{attr}");
                let v = self.load(ctx, &sub, mc)?;
                return Ok(ctx.const_ref(v));
            }
            let loc = get(mc, "__file__")
                .map(str_of)
                .unwrap_or_else(|| "unknown location".to_string());
            return Err(self.exc(
                ctx,
                ExcKind::ImportError,
                &format!("cannot import name '{attr}' from '{mname}' ({loc})"),
            ));
        }
        Err(self.exc(
            ctx,
            ExcKind::ImportError,
            &format!("cannot import name '{attr}'"),
        ))
    }
}
