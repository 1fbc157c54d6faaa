//! The server's FEAT reply, parsed into what Ferry asks of it.

use std::collections::BTreeMap;

use super::reply::Reply;

/// Capabilities the server announced in its FEAT reply (RFC 2389).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    /// Feature name (upper-case) → its parameters as sent (may be empty).
    pub entries: BTreeMap<String, String>,
}

impl Features {
    /// Parse the body lines of a `211` FEAT reply.
    pub fn parse(reply: &Reply) -> Features {
        let mut entries = BTreeMap::new();
        for line in reply.body() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (name, params) = line.split_once(' ').unwrap_or((line, ""));
            entries.insert(name.to_ascii_uppercase(), params.trim().to_string());
        }
        Features { entries }
    }

    pub fn has(&self, name: &str) -> bool {
        self.entries.contains_key(&name.to_ascii_uppercase())
    }

    /// The parameters of a feature, if announced.
    pub fn params(&self, name: &str) -> Option<&str> {
        self.entries
            .get(&name.to_ascii_uppercase())
            .map(String::as_str)
    }

    /// MLST/MLSD machine listings (RFC 3659).
    pub fn mlsd(&self) -> bool {
        self.has("MLST")
    }

    pub fn utf8(&self) -> bool {
        self.has("UTF8")
    }

    pub fn eprt(&self) -> bool {
        self.has("EPRT")
    }

    /// `REST STREAM`: restart in stream mode (resume).
    pub fn rest_stream(&self) -> bool {
        self.params("REST")
            .is_some_and(|p| p.to_ascii_uppercase().contains("STREAM"))
    }

    pub fn mfmt(&self) -> bool {
        self.has("MFMT")
    }

    /// Transfer modes beyond stream the server lists under `MODE` (e.g. `Z`).
    pub fn modes(&self) -> Vec<String> {
        self.params("MODE")
            .map(|p| {
                p.split([',', ' '])
                    .filter(|m| !m.is_empty())
                    .map(str::to_ascii_uppercase)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftp::reply::ReplyDecoder;

    #[test]
    fn feat_reply_parses_names_and_parameters() {
        let mut d = ReplyDecoder::new();
        d.feed(b"211-Features:\r\n MDTM\r\n MLST type*;size*;modify*;\r\n REST STREAM\r\n utf8\r\n MODE Z\r\n EPRT\r\n211 End\r\n");
        let f = Features::parse(&d.next_reply().unwrap().unwrap());
        assert!(f.mlsd() && f.utf8() && f.eprt() && f.rest_stream() && f.has("mdtm"));
        assert!(!f.mfmt());
        assert_eq!(f.params("MLST"), Some("type*;size*;modify*;"));
        assert_eq!(f.modes(), vec!["Z".to_string()]);
    }
}
