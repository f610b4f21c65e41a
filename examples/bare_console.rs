//! The least a ratatui + tokio console can be: it takes the terminal, draws one frame, and
//! waits for `q`. Its start-up time and memory are the floor the console's own are measured
//! against (`benches/console.rs`).

use crossterm::event::{Event, EventStream, KeyCode};
use futures_util::StreamExt;
use ratatui::widgets::Paragraph;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let result = async {
        terminal.draw(|f| f.render_widget(Paragraph::new("bare_console: q quits"), f.area()))?;
        let mut events = EventStream::new();
        while let Some(event) = events.next().await {
            if let Event::Key(key) = event?
                && key.code == KeyCode::Char('q')
            {
                break;
            }
        }
        Ok(())
    }
    .await;
    ratatui::restore();
    result
}
