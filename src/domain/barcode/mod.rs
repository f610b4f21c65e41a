//! Barcodes as the warehouse scans them: GTINs (EAN-8, UPC-E, UPC-A, EAN-13, GTIN-14), GS1
//! element strings (GS1-128, GS1 DataMatrix, GS1 QR, DataBar) and the warehouse's own
//! labels, read by [`read_scan`] into a [`Scan`] and printed as a [`ScanReport`].
//!
//! Pure: no clock (the caller passes the year that decides label-date centuries), no I/O,
//! and no input makes it panic. Every fault is a sentence a person setting up label
//! printers can act on.
//!
//! Group separators (FNC1) arrive as ASCII 0x1D or as one of the stand-ins configured in
//! [`ScanSettings::separator_stand_ins`]. A leading AIM symbology identifier decides how the
//! data is read: GS1 symbologies as element strings, EAN/UPC and ITF as GTINs, anything else
//! (or none) by trying labels, element string and GTIN in turn.

mod ai;
mod check_digit;
mod date;
mod element_string;
mod gtin;
mod labels;
mod measure;
mod report;
mod scan;
mod symbology;
mod wedge;

pub use ai::{ApplicationIdentifier, Charset, Content, Length};
pub use check_digit::gs1_check_digit;
pub use date::{DateError, Gs1Date};
pub use element_string::{Element, ElementString, ElementStringError, GROUP_SEPARATOR, Meaning};
pub use gtin::{
    Ean13Error, Gtin, GtinError, GtinKind, complete_ean13, expand_upc_e, validate_ean13,
};
pub use labels::{BadLabelShape, Label, LabelError, LabelKind, LabelPatterns, LabelShape};
pub use measure::Decimal;
pub use report::{FieldReport, ScanReport};
pub use scan::{BareDigits, Reading, Scan, ScanError, ScanKind, ScanSettings, read_scan};
pub use symbology::Symbology;
pub use wedge::{KeyboardWedge, PasteMode};
