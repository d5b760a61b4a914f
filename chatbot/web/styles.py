"""The chat window's look: a Gradio theme with bundled fonts (nothing fetched) and a little CSS.

Phone first: a compact header, the chat sized to the screen with the question box kept in view
at its bottom; from WIDE_SCREEN up, the guide's section panel sits beside the chat. Every text
colour is chosen for at least 4.5:1 contrast on its background (checked in the browser test).
"""

from __future__ import annotations

TEXT = "#1e293b"  # slate-800
SUBDUED = "#475569"  # slate-600: 7.6:1 on white
ACCENT = "#0f766e"  # teal-700: 5.5:1 on white
ACCENT_BG = "#ccfbf1"  # teal-100, behind accent-coloured text (4.7:1)
HIGHLIGHT = "#fef08a"  # yellow-200, behind quoted sentences
CAVEAT = "#92400e"  # amber-800: 7.1:1 on CAVEAT_BG
CAVEAT_BG = "#fffbeb"  # amber-50, behind a partly covered reply's caveat

CSS = f"""
.gradio-container {{ max-width: 1240px !important; margin: 0 auto !important; padding-top: 0.4rem !important;
  --body-text-color: {TEXT}; --body-text-color-subdued: {SUBDUED}; --block-info-text-color: {SUBDUED};
  --input-placeholder-color: {SUBDUED}; --block-label-text-color: {SUBDUED}; --block-title-text-color: {TEXT}; }}
#intro, #status, #disclaimer, #browse {{ padding: 0 !important; }}
#status .html-container, #disclaimer .html-container, #browse .html-container, #intro .html-container {{
  padding: 0 !important;
}}
#intro header {{ display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.2rem 1rem; }}
#intro h1 {{ font-size: 1.35rem; margin: 0; color: {TEXT}; }}
#intro p {{ margin: 0; color: {SUBDUED}; font-size: 0.92rem; }}
#chat .prose, #chat .md {{ opacity: 1 !important; }}
#chat .user-text {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
#chat .user-text .more {{ color: {SUBDUED}; font-style: italic; }}
#chat .reply-card p {{ margin: 0 0 0.45rem; }}
#chat .reply-card .reply {{ line-height: 1.55; }}
#chat .reply-card .reply ul {{ margin: 0.1rem 0 0.5rem 1.2rem; padding: 0; }}
#chat .reply-card .reply li {{ margin: 0.1rem 0; }}
#chat .reply-card .notice, #chat .reply-card .read-as {{
  font-size: 0.88em; color: {SUBDUED}; border-left: 3px solid {ACCENT}; padding-left: 0.5rem;
}}
#chat .reply-card .caveat {{
  color: {CAVEAT}; background: {CAVEAT_BG}; border-left: 4px solid {CAVEAT}; padding: 0.35rem 0.6rem; border-radius: 0.3rem;
}}
#chat button.cite {{
  display: inline-block; min-width: 1.35em; margin: 0 0.1em; padding: 0 0.3em; border-radius: 0.6em;
  font-size: 0.75em; font-weight: 700; line-height: 1.4; vertical-align: super; cursor: pointer;
  color: {ACCENT}; background: {ACCENT_BG}; border: 1px solid {ACCENT};
}}
#chat button.cite:focus-visible, #chat button.open-section:focus-visible, #chat button.copy-answer:focus-visible,
#browse button:focus-visible, #browse summary:focus-visible, #chat .source-card:focus-visible {{
  outline: 3px solid {ACCENT}; outline-offset: 2px;
}}
#chat .sources {{ margin-top: 0.5rem; display: grid; gap: 0.45rem; }}
#chat .sources-title {{ font-weight: 700; font-size: 0.85em; color: {SUBDUED}; margin: 0 !important; }}
#chat .source-card {{
  border: 1px solid #cbd5e1; border-radius: 8px; padding: 0.45rem 0.6rem; background: #ffffff; font-size: 0.9em;
}}
#chat .source-card.flash {{ animation: flash 1.6s ease-out; }}
@keyframes flash {{ 0% {{ box-shadow: 0 0 0 4px {ACCENT}; }} 100% {{ box-shadow: 0 0 0 0 transparent; }} }}
#chat .card-head {{ font-weight: 600; color: {TEXT}; }}
#chat .card-head .num {{
  display: inline-block; min-width: 1.4em; text-align: center; border-radius: 0.7em; margin-right: 0.25rem;
  color: {ACCENT}; background: {ACCENT_BG}; font-size: 0.85em;
}}
#chat .source-card .excerpt {{
  max-height: 4.8em; overflow: hidden; color: {TEXT};
  -webkit-mask-image: linear-gradient(to bottom, #000 60%, transparent);
  mask-image: linear-gradient(to bottom, #000 60%, transparent);
}}
#chat .source-card.expanded .excerpt {{ -webkit-mask-image: none; mask-image: none; }}
#chat .source-card.expanded .excerpt {{ max-height: none; }}
#chat .source-card:has(.whole:not([hidden])) .excerpt {{ display: none; }}
#chat .source-card .excerpt ul, .section-view ul {{ margin: 0.2rem 0 0.4rem 1.1rem; padding: 0; }}
#chat mark, .section-view mark, .section-view strong {{
  background: {HIGHLIGHT}; color: {TEXT}; padding: 0 0.1em; border-radius: 3px;
}}
#chat button.open-section, #chat button.copy-answer {{
  margin-top: 0.3rem; padding: 0.15rem 0.55rem; border-radius: 6px; cursor: pointer; font-size: 0.88em;
  color: {ACCENT}; background: #ffffff; border: 1px solid {ACCENT}; font-weight: 600;
}}
#chat button.copy-answer.done {{ color: #ffffff; background: {ACCENT}; }}
#chat .actions {{ margin-top: 0.35rem; }}
#chat .near button.open-section {{ text-align: left; }}
#chat .near ul {{ list-style: none; margin: 0.2rem 0; padding: 0; display: grid; gap: 0.3rem; }}
#chat .near p {{ font-size: 0.9em; color: {SUBDUED}; }}
#chat .whole {{ margin-top: 0.4rem; }}
#composer {{ position: sticky; bottom: 0; z-index: 5; }}
#status .status {{ margin: 0.2rem 0.3rem; font-size: 0.88rem; color: {ACCENT}; min-height: 0; }}
#status .status:empty {{ display: none; }}
#disclaimer p.disclaimer {{ font-size: 0.8rem; color: {SUBDUED}; margin: 0.2rem 0.3rem; }}
#section {{
  max-height: calc(100dvh - 120px); overflow-y: auto; overflow-wrap: anywhere; border: 1px solid #cbd5e1;
  border-radius: 10px; background: #ffffff; padding: 0.6rem 0.8rem; box-sizing: border-box;
}}
.section-view {{ padding: 0.2rem 0.2rem; line-height: 1.5; color: {TEXT}; }}
.section-view .path {{ font-weight: 700; font-size: 0.88em; margin-bottom: 0.3rem; color: {TEXT}; }}
.section-view h4 {{ margin: 0.8rem 0 0.2rem; font-size: 0.95rem; }}
.section-view p {{ margin: 0 0 0.45rem; }}
.section-view.empty {{ color: {SUBDUED}; font-size: 0.9em; }}
#browse .browse h2 {{ font-size: 1rem; margin: 0.8rem 0 0.3rem; color: {TEXT}; }}
#browse .browse ul {{ list-style: none; margin: 0; padding: 0; }}
#browse .browse ul ul {{ margin: 0.15rem 0 0.35rem 0.9rem; }}
#browse summary {{ cursor: pointer; padding: 0.25rem 0; font-weight: 600; color: {TEXT}; }}
#browse button.open-section {{
  text-align: left; box-shadow: none !important; width: 100%; padding: 0.25rem 0.4rem; border: 0; border-radius: 6px;
  color: {ACCENT}; cursor: pointer; font-size: 0.92rem; background: transparent !important;
}}
#browse .part > button.open-section {{ font-weight: 600; color: {TEXT}; padding-left: 0; }}
#browse button.open-section:hover {{ background: {ACCENT_BG} !important; }}
#browse .whole {{ display: none; }}
nav.fillable {{ display: none !important; }}  /* Gradio's page bar: the review page is reached by its address */
footer, footer * {{ color: {SUBDUED} !important; }}
@media (max-width: 999px) {{
  #intro p {{ display: none; }}
  #intro h1 {{ font-size: 1.1rem; }}
  #chat {{ height: calc(100dvh - 165px) !important; }}
  #chat .message-row.bubble {{ margin-left: 0 !important; margin-right: 0 !important; }}
  .gradio-container {{ padding-left: 0.4rem !important; padding-right: 0.4rem !important; }}
  #section {{ max-height: none; }}
}}
"""


def theme():
    """A calm theme using Gradio's bundled fonts, so the page loads nothing from the internet."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="teal", neutral_hue="slate")
