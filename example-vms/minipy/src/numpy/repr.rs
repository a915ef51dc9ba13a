//! `repr` / `str` of arrays as NumPy 1.x prints them: its float
//! formatting (shortest round-trip digits cut at 8 decimals, trailing
//! zeros trimmed to `1.`, scientific notation when the magnitudes ask for
//! it, every element padded to a common width), integer and bool columns,
//! and `_formatArray`'s nesting and line wrapping (75 columns).

use super::array::{Arr, Buf};

/// `(3,)`, `(2, 3)`, `()`: a shape as Python prints the tuple.
pub fn shape_str(s: &[i64]) -> String {
    shape_joined(s, ", ")
}

/// A shape as NumPy's error messages print it: `(3,)`, `(2,3)`.
pub fn shape_msg(s: &[i64]) -> String {
    shape_joined(s, ",")
}

/// A shape in parentheses, `sep` between its numbers, a 1-tuple's comma.
fn shape_joined(s: &[i64], sep: &str) -> String {
    match s {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            s.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(sep)
        ),
    }
}

const PRECISION: usize = 8;

/// Shortest positional digits of finite `x`, at most 8 decimals, trailing
/// zeros trimmed (`dragon4_positional(unique, trim='.')`): (int, frac).
fn positional(x: f64) -> (String, String) {
    let mut s = format!("{x}");
    let frac_len = s.find('.').map_or(0, |i| s.len() - i - 1);
    if frac_len > PRECISION {
        s = format!("{x:.8}");
        while s.ends_with('0') {
            s.pop();
        }
    }
    match s.find('.') {
        Some(i) => (s[..i].to_string(), s[i + 1..].to_string()),
        None => (s, String::new()),
    }
}

/// Shortest scientific digits of finite `x` with at most 8 decimals in
/// the mantissa: (int part with sign, frac digits, exponent).
fn scientific(x: f64) -> (String, String, i32) {
    let mut s = format!("{x:e}");
    let (m, _) = s.split_once('e').unwrap_or((&s, "0"));
    let frac_len = m.find('.').map_or(0, |i| m.len() - i - 1);
    if frac_len > PRECISION {
        s = format!("{x:.8e}");
    }
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let (ip, fp) = match m.split_once('.') {
        Some((a, b)) => (a.to_string(), b.trim_end_matches('0').to_string()),
        None => (m.to_string(), String::new()),
    };
    (ip, fp, e)
}

/// Formats each element of a float array as NumPy's `FloatingFormat`.
fn float_strs(v: &[f64]) -> Vec<String> {
    let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let nonzero: Vec<f64> = finite
        .iter()
        .map(|x| x.abs())
        .filter(|x| *x != 0.0)
        .collect();
    let mut exp = false;
    if !nonzero.is_empty() {
        let max = nonzero.iter().copied().fold(f64::MIN, f64::max);
        let min = nonzero.iter().copied().fold(f64::MAX, f64::min);
        exp = max >= 1e8 || min < 0.0001 || max / min > 1000.0;
    }
    let (mut pad_left, pad_right);
    let mut out = Vec::with_capacity(v.len());
    if finite.is_empty() {
        pad_left = 0;
        pad_right = 0;
    } else if exp {
        let parts: Vec<(String, String, i32)> = finite.iter().map(|x| scientific(*x)).collect();
        let prec = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
        pad_left = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
        let exp_size = parts
            .iter()
            .map(|p| p.2.unsigned_abs().to_string().len().max(2))
            .max()
            .unwrap_or(2);
        pad_right = exp_size + 2 + prec;
        let pad_left_final = nonfinite_pad(v, pad_left, pad_right);
        for x in v {
            if !x.is_finite() {
                out.push(nonfinite(*x, pad_left_final + pad_right + 1));
                continue;
            }
            let (ip, fp, e) = scientific(*x);
            let sign = if e < 0 { '-' } else { '+' };
            out.push(format!(
                "{ip:>pad_left_final$}.{fp:0<prec$}e{sign}{:0>exp_size$}",
                e.unsigned_abs()
            ));
        }
        return out;
    } else {
        let parts: Vec<(String, String)> = finite.iter().map(|x| positional(*x)).collect();
        pad_left = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
        pad_right = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
    }
    pad_left = nonfinite_pad(v, pad_left, pad_right);
    for x in v {
        if !x.is_finite() {
            out.push(nonfinite(*x, pad_left + pad_right + 1));
            continue;
        }
        let (ip, fp) = positional(*x);
        out.push(format!("{ip:>pad_left$}.{fp:<pad_right$}"));
    }
    out
}

/// `pad_left` widened so `nan` / `inf` fit.
fn nonfinite_pad(v: &[f64], pad_left: usize, pad_right: usize) -> usize {
    if v.iter().all(|x| x.is_finite()) {
        return pad_left;
    }
    let neginf = v.iter().any(|x| x.is_infinite() && *x < 0.0) as usize;
    let offset = pad_right + 1;
    pad_left
        .max(3usize.saturating_sub(offset))
        .max((3 + neginf).saturating_sub(offset))
}

fn nonfinite(x: f64, width: usize) -> String {
    let s = if x.is_nan() {
        "nan"
    } else if x < 0.0 {
        "-inf"
    } else {
        "inf"
    };
    format!("{s:>width$}")
}

/// Every element's text, in C order, padded to a common width.
fn element_strs(b: &Buf) -> Vec<String> {
    match b {
        Buf::F(v) => float_strs(v),
        Buf::I(v) => {
            let w = v.iter().map(|x| x.to_string().len()).max().unwrap_or(0);
            v.iter().map(|x| format!("{x:>w$}")).collect()
        }
        Buf::B(v) => v
            .iter()
            .map(|x| if *x { " True" } else { "False" }.to_string())
            .collect(),
    }
}

fn extend_line(s: &mut String, line: &mut String, word: &str, width: usize, prefix: &str) {
    let mut wrap = line.len() + word.len() > width;
    if line.len() <= prefix.len() {
        wrap = false;
    }
    if wrap {
        s.push_str(line.trim_end());
        s.push('\n');
        *line = prefix.to_string();
    }
    line.push_str(word);
}

/// NumPy's `_formatArray` (no summarisation).
fn format_array(words: &[String], shape: &[i64], sep: &str, width: usize, prefix: &str) -> String {
    fn rec(
        words: &[String],
        shape: &[i64],
        base: usize,
        hanging: &str,
        width: usize,
        sep: &str,
    ) -> String {
        if shape.is_empty() {
            return words[base].clone();
        }
        let next_hanging = format!("{hanging} ");
        let next_width = width - 1;
        let n = shape[0] as usize;
        let inner: usize = shape[1..].iter().product::<i64>() as usize;
        let mut s = String::new();
        if shape.len() == 1 {
            let elem_width = width - sep.trim_end().len().max(1);
            let mut line = hanging.to_string();
            for i in 0..n.saturating_sub(1) {
                let w = rec(
                    words,
                    &shape[1..],
                    base + i * inner,
                    &next_hanging,
                    next_width,
                    sep,
                );
                extend_line(&mut s, &mut line, &w, elem_width, hanging);
                line.push_str(sep);
            }
            if n > 0 {
                let w = rec(
                    words,
                    &shape[1..],
                    base + (n - 1) * inner,
                    &next_hanging,
                    next_width,
                    sep,
                );
                extend_line(&mut s, &mut line, &w, elem_width, hanging);
            }
            s.push_str(&line);
        } else {
            let line_sep = format!("{}{}", sep.trim_end(), "\n".repeat(shape.len() - 1));
            for i in 0..n {
                let nested = rec(
                    words,
                    &shape[1..],
                    base + i * inner,
                    &next_hanging,
                    next_width,
                    sep,
                );
                s.push_str(hanging);
                s.push_str(&nested);
                if i + 1 < n {
                    s.push_str(&line_sep);
                }
            }
        }
        format!("[{}]", &s[hanging.len().min(s.len())..])
    }
    rec(words, shape, 0, prefix, width, sep)
}

const LINEWIDTH: usize = 75;

/// `repr(a)`.
pub fn repr(a: &Arr) -> String {
    let b = a.read();
    if a.size() == 0 {
        if a.shape.len() == 1 {
            return format!("array([], dtype={})", a.dt.name());
        }
        return format!(
            "array([], shape={}, dtype={})",
            shape_str(&a.shape),
            a.dt.name()
        );
    }
    let words = element_strs(&b);
    if a.shape.is_empty() {
        return format!("array({})", words[0].trim_start());
    }
    let body = format_array(&words, &a.shape, ", ", LINEWIDTH - 1, "       ");
    format!("array({body})")
}

/// `str(a)`.
pub fn str(a: &Arr) -> String {
    let b = a.read();
    if a.size() == 0 {
        return "[]".to_string();
    }
    let words = element_strs(&b);
    if a.shape.is_empty() {
        return words[0].trim_start().to_string();
    }
    format_array(&words, &a.shape, " ", LINEWIDTH, " ")
}
