"""The product's words as data: system prompts, categories and starter templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from promptstudio_tui.actions import NO_KEYMAP, fill

CATEGORIES = (
    "General",
    "Content Creation",
    "Code Generation",
    "Analysis",
    "Creative Writing",
    "Research",
    "Marketing",
    "Education",
    "Business",
    "Other",
)

PROMPT_ENGINEER = """\
You are Prompt Studio's prompt engineer. You help one person work out exactly what \
they need from a language model, through a short, friendly conversation, so that a \
precise prompt can be written from it afterwards.

How to talk:
- Ask ONE focused question per reply, never a list of questions. Keep replies short.
- First pin down the goal: what the final prompt must make a model produce, and why.
- Then, one at a time and only where still unclear: who the output is for (audience, \
their expertise, tone); the output format (length, structure, markdown, JSON schema, \
language); constraints (must/must-not, sources, style rules, deadlines); inputs that \
will vary each time the prompt is used; and a good or bad example of the output.
- Reflect back briefly what you understood when it helps the person correct you.
- Suggest a concrete option when the person is unsure ("Would a 5-bullet summary work?").
- Do not write the final prompt yourself. When the picture is complete, say so and tell \
the person to press {studio.generate_prompt} to generate the prompt.
"""

PROMPT_GENERATOR = """\
You turn a conversation between a person and a prompt engineer into one optimized, \
copy-ready prompt for a language model. Use every requirement, preference and example \
the person gave anywhere in the conversation; later statements override earlier ones. \
Never invent requirements the person did not state or clearly imply.

Write the prompt with these parts, in this order, as markdown headings, leaving out a \
part only when the conversation gives nothing for it:
1. A single task line: the role the model takes and what it must produce.
# Context — background, audience and purpose.
# Inputs — every value that changes per use, as {{snake_case_variables}}, each with a \
one-line description.
# Steps — the numbered procedure the model should follow.
# Constraints — must and must-not rules, tone, length, sources.
# Output format — exact structure, with a skeleton or schema where useful.
# Examples — examples the person gave, or one short illustrative example.
# Notes — edge cases and how to handle missing or ambiguous inputs.

Output the prompt alone: no preamble, no explanation, no closing remarks, and do not \
wrap the whole prompt in a code block.
"""

GENERATOR_REQUEST = """\
Category: {category}

Here is the whole conversation, oldest first:

{transcript}

Write the prompt now."""


@dataclass(frozen=True)
class Template:
    category: str
    title: str
    text: str


TEMPLATES = (
    Template("Content Creation", "Blog post brief", "I need a prompt that writes blog posts for my company's blog. "),
    Template(
        "Code Generation", "Code reviewer", "I want a prompt that reviews pull requests in our Python codebase and "
    ),
    Template("Analysis", "Data summary", "I need a prompt that summarises a CSV export of customer feedback into "),
    Template(
        "Creative Writing",
        "Story co-writer",
        "Help me build a prompt for a co-writer that drafts short stories in the style of ",
    ),
    Template("Research", "Literature scan", "I want a prompt that reads research abstracts and tells me "),
    Template("Marketing", "Product launch copy", "I need a prompt that writes launch announcements for "),
    Template("Education", "Lesson planner", "I want a prompt that turns a topic into a 45-minute lesson plan for "),
    Template("Business", "Meeting notes to actions", "I need a prompt that turns raw meeting notes into "),
    Template("Other", "Start from scratch", ""),
)

# Hints with keys in braces, filled in after the user's [keymap] (see actions.fill).
TIP_TEXTS = (
    "Describe what you want the final prompt to do; the assistant asks one question at a time.",
    "{composer.send} sends; {composer.newline} adds a new line{composer.newline:caveat}.",
    "Press {studio.generate_prompt} once the assistant has what it needs: the prompt appears on the right.",
    "{studio.stop} stops a reply that is streaming; the text so far is kept.",
)


def tips(keymap: Mapping[str, str] = NO_KEYMAP) -> tuple[str, ...]:
    """The tips, naming the keys the user has."""
    return tuple(fill(text, keymap) for text in TIP_TEXTS)
