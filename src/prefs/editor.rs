//! The editor preference: a command line with `{}` where the file goes,
//! checked when the user types it, and turned into a program and arguments
//! when a file is opened for editing.

use std::ffi::OsString;
use std::path::Path;

/// The mark in the command line that the file's path replaces.
pub const FILE_MARK: &str = "{}";

/// Why an editor command line cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditorError {
    #[error("the quotes in the editor command do not match; close each \" or '")]
    Quotes,
    #[error(
        "the editor command has no {{}}; put {{}} where the file goes, e.g. `code --wait {{}}`"
    )]
    NoFileMark,
    #[error("the editor command starts with {{}}; put the program first, e.g. `gedit {{}}`")]
    FileAsProgram,
}

/// A parsed editor command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditorCommand {
    pub program: String,
    /// Arguments as typed; each `{}` in them becomes the file's path.
    pub args: Vec<String>,
}

impl EditorCommand {
    /// Parse a command line (quoted as a POSIX shell would, without running
    /// one). Empty means "the desktop's default application": `Ok(None)`.
    pub fn parse(line: &str) -> Result<Option<EditorCommand>, EditorError> {
        if line.trim().is_empty() {
            return Ok(None);
        }
        let words = shlex::split(line).ok_or(EditorError::Quotes)?;
        let Some((program, args)) = words.split_first() else {
            return Ok(None);
        };
        if program.contains(FILE_MARK) {
            return Err(EditorError::FileAsProgram);
        }
        if !args.iter().any(|a| a.contains(FILE_MARK)) {
            return Err(EditorError::NoFileMark);
        }
        Ok(Some(EditorCommand {
            program: program.clone(),
            args: args.to_vec(),
        }))
    }

    /// The arguments for editing `file`: every `{}` replaced by its path,
    /// which stays one argument however many spaces it holds.
    pub fn args_for(&self, file: &Path) -> Vec<OsString> {
        self.args
            .iter()
            .map(|arg| {
                let mut out = OsString::new();
                let mut parts = arg.split(FILE_MARK);
                if let Some(first) = parts.next() {
                    out.push(first);
                }
                for part in parts {
                    out.push(file.as_os_str());
                    out.push(part);
                }
                out
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Option<EditorCommand>, EditorError> {
        EditorCommand::parse(line)
    }

    /// A line, and what parsing it gives: the program and arguments, or the error.
    type Row = (
        &'static str,
        Result<Option<(&'static str, &'static [&'static str])>, EditorError>,
    );

    #[test]
    fn command_lines_are_checked_as_typed() {
        let table: &[Row] = &[
            ("", Ok(None)),
            ("   ", Ok(None)),
            ("gedit {}", Ok(Some(("gedit", &["{}"])))),
            ("code --wait {}", Ok(Some(("code", &["--wait", "{}"])))),
            (
                "vim --remote-tab={}",
                Ok(Some(("vim", &["--remote-tab={}"]))),
            ),
            (
                "\"/opt/My Editor/edit\" -n {}",
                Ok(Some(("/opt/My Editor/edit", &["-n", "{}"]))),
            ),
            ("gedit", Err(EditorError::NoFileMark)),
            ("code --wait", Err(EditorError::NoFileMark)),
            ("{} --edit", Err(EditorError::FileAsProgram)),
            ("\"gedit {}", Err(EditorError::Quotes)),
        ];
        for (line, want) in table {
            let got = parse(line).map(|c| c.map(|c| (c.program, c.args)));
            let want = want.clone().map(|w| {
                w.map(|(p, a)| (p.to_string(), a.iter().map(|s| s.to_string()).collect()))
            });
            assert_eq!(got, want, "{line:?}");
        }
    }

    #[test]
    fn the_file_replaces_every_mark_and_stays_one_argument() {
        let cmd = parse("ed --title={}-edit {} {}").unwrap().unwrap();
        let args = cmd.args_for(Path::new("/tmp/a b/c.txt"));
        assert_eq!(
            args,
            [
                "--title=/tmp/a b/c.txt-edit",
                "/tmp/a b/c.txt",
                "/tmp/a b/c.txt"
            ]
            .map(OsString::from)
        );
    }

    #[test]
    fn errors_say_what_to_do() {
        let text = EditorError::NoFileMark.to_string();
        assert!(text.contains("put {} where the file goes"), "{text}");
    }
}
