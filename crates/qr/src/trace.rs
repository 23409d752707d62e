//! A development trace of what a pass tried (`trace_pass`, the `qr_debug` example). Off in
//! production: a `Trace(None)` formats nothing.

#[derive(Debug, Default)]
pub(crate) struct Trace(pub Option<String>);

impl Trace {
    /// Appends a line, formatted only when tracing.
    #[inline]
    pub fn note(&mut self, line: impl FnOnce() -> String) {
        if let Some(s) = &mut self.0 {
            s.push_str("    ");
            s.push_str(&line());
            s.push('\n');
        }
    }
}
