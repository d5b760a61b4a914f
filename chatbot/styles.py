"""The chat window's look: a Gradio theme with bundled fonts (nothing fetched) and a little CSS."""

from __future__ import annotations

CSS = """
.gradio-container { max-width: 1240px !important; margin: 0 auto !important; }
#intro h1 { font-size: 1.6rem; margin: 0.2rem 0 0.3rem; }
#intro p { margin: 0; color: var(--body-text-color-subdued); max-width: 62rem; }
#chat .user-text { white-space: pre-wrap; overflow-wrap: anywhere; }
#chat .user-text .more { color: var(--body-text-color-subdued); font-style: italic; }
#chat .reply-card p { margin: 0 0 0.45rem; }
#chat .reply-card .reply { line-height: 1.55; }
#chat .reply-card .notice, #chat .reply-card .read-as {
  font-size: 0.88em; color: var(--body-text-color-subdued);
  border-left: 3px solid var(--color-accent); padding-left: 0.5rem;
}
#chat sup.cite, .marker {
  color: var(--color-accent); font-weight: 600; font-size: 0.78em; white-space: nowrap;
}
#chat ul.cited { list-style: none; padding: 0; margin: 0.35rem 0; font-size: 0.88em; }
#chat ul.cited li { margin: 0.1rem 0; color: var(--body-text-color-subdued); }
#chat details.sources {
  margin-top: 0.4rem; border: 1px solid var(--border-color-primary);
  border-radius: var(--radius-md); padding: 0.3rem 0.6rem; background: var(--background-fill-secondary);
}
#chat details.sources summary { cursor: pointer; font-weight: 600; font-size: 0.9em; }
#chat .source { margin: 0.55rem 0 0.35rem; font-size: 0.9em; }
#chat .source .path, .section-view .path { font-weight: 600; font-size: 0.85em; margin-bottom: 0.2rem; }
#chat .source ul, .section-view ul { margin: 0.2rem 0 0.4rem 1.1rem; padding: 0; }
#chat mark, .section-view mark { background: rgba(250, 204, 21, 0.38); color: inherit; padding: 0 0.1em; border-radius: 3px; }
.section-view strong { background: rgba(250, 204, 21, 0.38); font-weight: 600; border-radius: 3px; }
#chat .suggest { font-size: 0.92em; }
#chat .suggest ul { margin: 0.2rem 0 0.4rem 1.1rem; }
#disclaimer p.disclaimer { font-size: 0.82rem; color: var(--body-text-color-subdued); margin: 0.1rem 0.2rem; }
#section {
  max-height: 560px; overflow-y: auto; border: 1px solid var(--border-color-primary);
  border-radius: var(--radius-lg); background: var(--block-background-fill); padding: 0.6rem 0.8rem;
}
.section-view { padding: 0.2rem 0.4rem; line-height: 1.5; }
.section-view h4 { margin: 0.8rem 0 0.2rem; font-size: 0.95rem; }
.section-view p { margin: 0 0 0.45rem; }
.section-view.empty { color: var(--body-text-color-subdued); font-size: 0.9em; }
"""


def theme():
    """A calm theme using Gradio's bundled fonts, so the page loads nothing from the internet."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="teal", neutral_hue="slate")
