//! Text (ASCII) transfers: `TYPE A`, where the data connection carries
//! lines ended by CRLF (RFC 959's NVT-ASCII) and each side converts to its
//! own line ends. Which files go as text ([`TypeChoice`]), and the streamed
//! conversion both ways, with a CR that ends one buffer and an LF that
//! starts the next handled as one line end.

use serde::{Deserialize, Serialize};

/// Binary, ASCII, or ASCII only for text files whose line ends differ
/// between the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TypeChoice {
    /// `TYPE I`: every byte as it is (the default, and always right for
    /// anything that is not text).
    #[default]
    Binary,
    /// `TYPE A` for every file.
    Ascii,
    /// `TYPE A` for names ending in one of the text endings, and only when
    /// the server's line ends differ from this machine's; otherwise binary.
    Auto,
}

impl TypeChoice {
    pub const ALL: [TypeChoice; 3] = [TypeChoice::Binary, TypeChoice::Ascii, TypeChoice::Auto];

    pub fn label(self) -> &'static str {
        match self {
            TypeChoice::Binary => "Binary",
            TypeChoice::Ascii => "ASCII",
            TypeChoice::Auto => "Auto",
        }
    }
}

/// The endings [`TypeChoice::Auto`] treats as text, unless configured.
pub const DEFAULT_TEXT_ENDINGS: &[&str] = &[
    "txt", "text", "htm", "html", "xhtml", "xml", "php", "asp", "aspx", "jsp", "css", "js", "json",
    "sh", "bat", "cmd", "ps1", "conf", "cfg", "ini", "csv", "tsv", "md", "rst", "c", "h", "cpp",
    "hpp", "java", "py", "pl", "rb", "sql", "yml", "yaml", "log", "svg",
];

/// The default text endings as one editable line (`txt html php …`).
pub fn default_text_endings() -> Vec<String> {
    DEFAULT_TEXT_ENDINGS.iter().map(|s| s.to_string()).collect()
}

/// Line ends of a system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnds {
    /// `\n` (Unix, Linux, macOS).
    Lf,
    /// `\r\n` (Windows, and VMS-like text).
    CrLf,
}

impl LineEnds {
    /// This machine's.
    pub fn local() -> LineEnds {
        if cfg!(windows) {
            LineEnds::CrLf
        } else {
            LineEnds::Lf
        }
    }

    /// The server's, from its `SYST` reply: `215 Windows_NT` (IIS, and
    /// FileZilla Server, which says `UNIX emulated by FileZilla` and
    /// stores Windows files) keeps CRLF; every other answer (`UNIX Type:
    /// L8`, or none) is taken as LF, as nearly every server is.
    pub fn of_server(syst: Option<&str>) -> LineEnds {
        let text = syst.unwrap_or("").to_ascii_lowercase();
        if text.contains("windows") || text.contains("filezilla") {
            LineEnds::CrLf
        } else {
            LineEnds::Lf
        }
    }
}

/// Whether a file named `name` goes as text under `choice`.
pub fn is_text_transfer(
    choice: TypeChoice,
    name: &[u8],
    endings: &[String],
    server: LineEnds,
) -> bool {
    match choice {
        TypeChoice::Binary => false,
        TypeChoice::Ascii => true,
        TypeChoice::Auto => server != LineEnds::local() && has_text_ending(name, endings),
    }
}

/// `name` ends in `.E` for one of `endings` (without dots, any case).
pub fn has_text_ending(name: &[u8], endings: &[String]) -> bool {
    let last = name.rsplit(|&b| b == b'/').next().unwrap_or(name);
    let Some(dot) = last.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let ext = &last[dot + 1..];
    !ext.is_empty()
        && endings.iter().any(|e| {
            e.trim_start_matches('.')
                .as_bytes()
                .eq_ignore_ascii_case(ext)
        })
}

/// Parse a list of endings as typed: `.txt .html, php` → `txt html php`.
pub fn parse_endings(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .collect()
}

/// Converts the wire's CRLF line ends to LF as data arrives (a download
/// to a system with LF line ends). A CR at the end of one buffer is held
/// until the next shows whether an LF follows; a CR not followed by LF is
/// kept as it is.
#[derive(Debug, Default)]
pub struct CrLfToLf {
    pending_cr: bool,
}

impl CrLfToLf {
    pub fn new() -> CrLfToLf {
        CrLfToLf::default()
    }

    /// Append the converted form of `input` to `out`.
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + 1);
        let mut rest = input;
        if self.pending_cr {
            self.pending_cr = false;
            if rest.first() != Some(&b'\n') {
                out.push(b'\r');
            }
        }
        while let Some(i) = rest.iter().position(|&b| b == b'\r') {
            out.extend_from_slice(&rest[..i]);
            match rest.get(i + 1) {
                Some(b'\n') => {
                    out.push(b'\n');
                    rest = &rest[i + 2..];
                }
                Some(_) => {
                    out.push(b'\r');
                    rest = &rest[i + 1..];
                }
                None => {
                    self.pending_cr = true;
                    rest = &[];
                }
            }
        }
        out.extend_from_slice(rest);
    }

    /// The end of the data: a CR still held is written out.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.pending_cr) {
            out.push(b'\r');
        }
    }
}

/// Converts LF line ends to the wire's CRLF (an upload from a system with
/// LF line ends). A CRLF already there is left as it is, also when the CR
/// ends one buffer and the LF starts the next.
#[derive(Debug, Default)]
pub struct LfToCrLf {
    last_was_cr: bool,
}

impl LfToCrLf {
    pub fn new() -> LfToCrLf {
        LfToCrLf::default()
    }

    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 32 + 1);
        for &b in input {
            if b == b'\n' && !self.last_was_cr {
                out.push(b'\r');
            }
            out.push(b);
            self.last_was_cr = b == b'\r';
        }
    }
}

/// Converts a download's text from CRLF to this machine's line ends
/// (nothing to do on a CRLF system).
#[derive(Debug)]
pub struct TextDecoder {
    inner: Option<CrLfToLf>,
}

impl TextDecoder {
    pub fn for_local() -> TextDecoder {
        TextDecoder {
            inner: (LineEnds::local() == LineEnds::Lf).then(CrLfToLf::new),
        }
    }

    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match &mut self.inner {
            Some(c) => c.convert(input, out),
            None => out.extend_from_slice(input),
        }
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if let Some(c) = &mut self.inner {
            c.finish(out);
        }
    }
}

/// Converts an upload's text from this machine's line ends to CRLF.
#[derive(Debug)]
pub struct TextEncoder {
    inner: Option<LfToCrLf>,
}

impl TextEncoder {
    pub fn for_local() -> TextEncoder {
        TextEncoder {
            inner: (LineEnds::local() == LineEnds::Lf).then(LfToCrLf::new),
        }
    }

    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match &mut self.inner {
            Some(c) => c.convert(input, out),
            None => out.extend_from_slice(input),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down_in_pieces(wire: &[u8], cut: usize) -> Vec<u8> {
        let mut c = CrLfToLf::new();
        let mut out = Vec::new();
        for piece in wire.chunks(cut.max(1)) {
            c.convert(piece, &mut out);
        }
        c.finish(&mut out);
        out
    }

    #[test]
    fn crlf_becomes_lf_whatever_the_buffer_boundaries() {
        let wire = b"a\r\nbb\r\n\r\nlone\rcr\r\r\nend\r";
        let want = b"a\nbb\n\nlone\rcr\r\nend\r".to_vec();
        for cut in 1..=wire.len() {
            assert_eq!(down_in_pieces(wire, cut), want, "pieces of {cut}");
        }
    }

    #[test]
    fn lf_becomes_crlf_and_an_existing_crlf_stays_one() {
        let local = b"a\nb\r\nc\n\n";
        let want = b"a\r\nb\r\nc\r\n\r\n".to_vec();
        for cut in 1..=local.len() {
            let mut c = LfToCrLf::new();
            let mut out = Vec::new();
            for piece in local.chunks(cut) {
                c.convert(piece, &mut out);
            }
            assert_eq!(out, want, "pieces of {cut}");
        }
    }

    #[test]
    fn a_round_trip_of_lf_text_is_exact() {
        let text = b"line one\nline two\n\nlast".to_vec();
        let mut wire = Vec::new();
        LfToCrLf::new().convert(&text, &mut wire);
        assert_eq!(down_in_pieces(&wire, 3), text);
    }

    #[test]
    fn auto_sends_text_as_ascii_only_when_line_ends_differ() {
        let endings = default_text_endings();
        let windows = LineEnds::of_server(Some("Windows_NT"));
        let unix = LineEnds::of_server(Some("UNIX Type: L8"));
        assert_eq!(unix, LineEnds::Lf);
        assert_eq!(windows, LineEnds::CrLf);
        assert_eq!(LineEnds::of_server(None), LineEnds::Lf);
        let other = if LineEnds::local() == LineEnds::Lf {
            windows
        } else {
            unix
        };
        let same = LineEnds::local();
        assert!(is_text_transfer(
            TypeChoice::Auto,
            b"www/index.HTML",
            &endings,
            other
        ));
        assert!(!is_text_transfer(
            TypeChoice::Auto,
            b"www/index.html",
            &endings,
            same
        ));
        assert!(!is_text_transfer(
            TypeChoice::Auto,
            b"photo.jpg",
            &endings,
            other
        ));
        assert!(!is_text_transfer(TypeChoice::Auto, b"txt", &endings, other));
        assert!(is_text_transfer(
            TypeChoice::Ascii,
            b"photo.jpg",
            &endings,
            same
        ));
        assert!(!is_text_transfer(
            TypeChoice::Binary,
            b"a.txt",
            &endings,
            other
        ));
    }

    #[test]
    fn endings_parse_as_typed() {
        assert_eq!(
            parse_endings(".txt .HTML, php,,  .conf"),
            ["txt", "html", "php", "conf"]
        );
        assert!(has_text_ending(b"x.Conf", &parse_endings("conf")));
        assert!(!has_text_ending(b"dir.txt/file", &parse_endings("txt")));
    }
}
