//! Where shipping labels go: a thermal printer's raw port (ZPL over TCP, port 9100 by
//! custom), files in a directory (for a print spooler or a shared folder), or the screen only.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::AsyncWriteExt;

/// The config file's `[printer]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSettings {
    /// `host:port` of the printer's raw port, e.g. `10.0.0.40:9100`.
    pub address: Option<String>,
    /// A directory each label is written to as `SO-000123.zpl`.
    pub directory: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelPrinter {
    Raw(String),
    Directory(PathBuf),
    ScreenOnly,
}

/// A printer that does not answer must not hold up the packing bench for long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl LabelPrinter {
    pub fn from_settings(settings: &PrinterSettings) -> Result<LabelPrinter, String> {
        match (&settings.address, &settings.directory) {
            (Some(_), Some(_)) => Err("printer: give either address or directory, not both".into()),
            (Some(address), None) => {
                let port = address.rsplit_once(':').map(|(_, p)| p.parse::<u16>());
                match port {
                    Some(Ok(p)) if p > 0 => Ok(LabelPrinter::Raw(address.clone())),
                    _ => Err(format!(
                        "printer.address {address:?} is not host:port, e.g. 10.0.0.40:9100"
                    )),
                }
            }
            (None, Some(dir)) => Ok(LabelPrinter::Directory(dir.clone())),
            (None, None) => Ok(LabelPrinter::ScreenOnly),
        }
    }

    /// Sends one label; says where it went.
    pub async fn print(&self, order: &str, zpl: &str) -> Result<String, String> {
        match self {
            LabelPrinter::Raw(address) => {
                let connect = tokio::net::TcpStream::connect(address.as_str());
                let mut stream = tokio::time::timeout(CONNECT_TIMEOUT, connect)
                    .await
                    .map_err(|_| format!("printer {address} did not answer"))?
                    .map_err(|e| format!("printer {address}: {e}"))?;
                stream
                    .write_all(zpl.as_bytes())
                    .await
                    .map_err(|e| format!("printer {address}: {e}"))?;
                stream
                    .shutdown()
                    .await
                    .map_err(|e| format!("printer {address}: {e}"))?;
                Ok(format!("printer {address}"))
            }
            LabelPrinter::Directory(dir) => {
                // Order numbers are `SO-` and digits; anything else must not pick the path.
                let safe: String = order
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                let path = dir.join(format!("{safe}.zpl"));
                let (dir, path, zpl) = (dir.clone(), path.clone(), zpl.to_string());
                tokio::task::spawn_blocking(move || {
                    // Written whole, then moved in, so a spooler never picks up half a label.
                    let mut file = tempfile::NamedTempFile::new_in(&dir)
                        .map_err(|e| format!("{}: {e}", dir.display()))?;
                    std::io::Write::write_all(&mut file, zpl.as_bytes())
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    file.persist(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    Ok(path.display().to_string())
                })
                .await
                .map_err(|e| format!("writing the label failed: {e}"))?
            }
            LabelPrinter::ScreenOnly => {
                Err("no printer set up ([printer] in config.toml); the label is on screen".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sends_zpl_to_the_raw_port() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let received = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut got = String::new();
            tokio::io::AsyncReadExt::read_to_string(&mut socket, &mut got)
                .await
                .unwrap();
            got
        });
        let printer = LabelPrinter::from_settings(&PrinterSettings {
            address: Some(address.clone()),
            directory: None,
        })
        .unwrap();
        let sent = printer.print("SO-000001", "^XA^FDhello^FS^XZ").await;
        assert_eq!(sent, Ok(format!("printer {address}")));
        assert_eq!(received.await.unwrap(), "^XA^FDhello^FS^XZ");
    }

    #[tokio::test]
    async fn writes_files_and_refuses_bad_settings() {
        let dir = tempfile::tempdir().unwrap();
        let printer = LabelPrinter::Directory(dir.path().to_path_buf());
        let sent = printer.print("SO-000001/../x", "^XA^XZ").await.unwrap();
        assert!(sent.ends_with("SO-000001x.zpl"), "{sent}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("SO-000001x.zpl")).unwrap(),
            "^XA^XZ"
        );
        for address in ["printer", "host:0", "host:port"] {
            let bad = PrinterSettings {
                address: Some(address.into()),
                directory: None,
            };
            assert!(LabelPrinter::from_settings(&bad).is_err(), "{address}");
        }
        let both = PrinterSettings {
            address: Some("h:9100".into()),
            directory: Some(dir.path().into()),
        };
        assert!(LabelPrinter::from_settings(&both).is_err());
        let closed = LabelPrinter::Raw("127.0.0.1:1".into());
        assert!(closed.print("SO-1", "^XA^XZ").await.is_err());
    }
}
