#![no_main]

use backroom::domain::reply_book::{FaqBook, ReplyBook};
use backroom::domain::settings_file::SettingsSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // As `PUT /api/v1/faq-rules` and `/canned-replies` read an application/toml body.
    let source = SettingsSource {
        origin: "request body".into(),
        text: text.to_string(),
    };
    match ReplyBook::parse(&source) {
        Ok(book) => {
            let faq = FaqBook::new(book.faq).expect("a parsed book's rules compile again");
            // A message is matched against every rule as it arrives.
            for message in ["Where is my order SO-000012?", "我想退貨", text] {
                let _ = faq.matching(message).count();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
