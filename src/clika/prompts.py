"""Prompt templates: items -> the text a model reads.

"paper" reproduces the upstream CLiKA prompts byte for byte (an English
instruction and one-shot example for every language; x_copa has its own);
"native" has the same structure with the instruction, the field labels and the
x_copa example in the item's own language.

Every prompt is split into a ``prefix`` (instruction + one-shot example, the same
for every item of a task, language and template, so a backend can encode it
once) and a ``body`` (the item, ending with the answer cue "Answer:").
Chat models get the prompt wrapped in the tokenizer's chat template by the
backend; ``chat_frame`` finds the text the template puts around a prompt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clika.backends.base import ChoiceRequest
from clika.errors import ConfigError
from clika.items import LETTERS, Item, task_spec

TEMPLATES: tuple[str, ...] = ("paper", "native")
MODES: tuple[str, ...] = ("letter", "cloze")
# Bump when rendering changes in a way the strings below do not show (the
# results store keys on prompt_hash, so old results are then not reused).
PROMPT_VERSION = 1
# lm-eval's target_delimiter: cloze continuations are " " + option text.
CLOZE_DELIMITER = " "


@dataclass(frozen=True)
class Wording:
    """The words of one template in one language."""

    instruction: str  # multiple-choice tasks (x_csqa, x_geo, x_name, user tasks)
    question: str  # field label, e.g. "Question:"
    answer: str  # the answer cue that ends every prompt, e.g. "Answer:"
    copa_instruction: str
    premise: str
    cause: str  # x_copa question for question == "cause"
    effect: str
    copa_example: tuple[str, str, str]  # premise, correct option (A), wrong option (B)


PAPER = Wording(
    "The following are multiple choice questions. Please choose the most reasonable one from the following options.",
    "Question:", "Answer:",
    # sic: upstream has no space after "Premise."
    "Answer the following multiple choice questions by selecting the correct option according to the Premise."
    "Please choose the correct one from the two options A and B.",
    "Premise:", "What was the cause of this?", "What happened as a result?",
    ("The sky turns dark.", "It's night.", "It's noon."),
)

NATIVE: dict[str, Wording] = {
    "en": Wording(
        PAPER.instruction, "Question:", "Answer:",
        "Answer the following multiple choice questions by selecting the correct option according to the premise. "
        "Please choose the correct one from the two options A and B.",
        "Premise:", PAPER.cause, PAPER.effect, PAPER.copa_example,
    ),
    "zh": Wording(
        "以下是多项选择题。请从以下选项中选出最合理的一项。", "问题：", "答案：",
        "请根据前提回答以下多项选择题，选出正确的选项。请从A和B两个选项中选择正确的一项。",
        "前提：", "这是什么原因造成的？", "结果发生了什么？",
        ("天黑了。", "现在是夜晚。", "现在是中午。"),
    ),
    "ja": Wording(
        "以下は多肢選択問題です。次の選択肢の中から最も妥当なものを選んでください。", "質問：", "答え：",
        "前提に基づいて正しい選択肢を選び、以下の多肢選択問題に答えてください。AとBの2つの選択肢から正しいものを選んでください。",
        "前提：", "この原因は何でしたか？", "その結果、何が起こりましたか？",
        ("空が暗くなる。", "夜です。", "正午です。"),
    ),
    "fr": Wording(
        "Voici des questions à choix multiples. Veuillez choisir l'option la plus plausible parmi les suivantes.",
        "Question :", "Réponse :",
        "Répondez aux questions à choix multiples suivantes en choisissant l'option correcte d'après la prémisse. "
        "Veuillez choisir la bonne réponse parmi les deux options A et B.",
        "Prémisse :", "Quelle en était la cause ?", "Que s'est-il passé en conséquence ?",
        ("Le ciel s'assombrit.", "C'est la nuit.", "C'est midi."),
    ),
    "de": Wording(
        "Im Folgenden finden Sie Multiple-Choice-Fragen. Bitte wählen Sie die plausibelste der folgenden Optionen.",
        "Frage:", "Antwort:",
        "Beantworten Sie die folgenden Multiple-Choice-Fragen, indem Sie anhand der Prämisse die richtige Option "
        "auswählen. Bitte wählen Sie die richtige der beiden Optionen A und B.",
        "Prämisse:", "Was war die Ursache dafür?", "Was geschah infolgedessen?",
        ("Der Himmel wird dunkel.", "Es ist Nacht.", "Es ist Mittag."),
    ),
    "it": Wording(
        "Le seguenti sono domande a scelta multipla. Scegli l'opzione più plausibile tra le seguenti.",
        "Domanda:", "Risposta:",
        "Rispondi alle seguenti domande a scelta multipla scegliendo l'opzione corretta in base alla premessa. "
        "Scegli quella corretta tra le due opzioni A e B.",
        "Premessa:", "Quale ne è stata la causa?", "Che cosa è successo di conseguenza?",
        ("Il cielo diventa scuro.", "È notte.", "È mezzogiorno."),
    ),
    "ru": Wording(
        "Ниже приведены вопросы с несколькими вариантами ответа. Выберите наиболее разумный из следующих вариантов.",
        "Вопрос:", "Ответ:",
        "Ответьте на следующие вопросы с несколькими вариантами ответа, выбрав правильный вариант на основе "
        "посылки. Выберите правильный из двух вариантов A и B.",
        "Посылка:", "Что было причиной этого?", "Что произошло в результате?",
        ("Небо темнеет.", "Сейчас ночь.", "Сейчас полдень."),
    ),
    "pl": Wording(
        "Poniżej znajdują się pytania wielokrotnego wyboru. Wybierz najbardziej sensowną spośród następujących "
        "odpowiedzi.",
        "Pytanie:", "Odpowiedź:",
        "Odpowiedz na poniższe pytania wielokrotnego wyboru, wybierając poprawną odpowiedź na podstawie przesłanki. "
        "Wybierz poprawną spośród dwóch odpowiedzi A i B.",
        "Przesłanka:", "Co było tego przyczyną?", "Co się stało w rezultacie?",
        ("Niebo ciemnieje.", "Jest noc.", "Jest południe."),
    ),
    "he": Wording(
        "להלן שאלות רב-ברירה. אנא בחרו את האפשרות הסבירה ביותר מבין האפשרויות הבאות.", "שאלה:", "תשובה:",
        "ענו על שאלות הרב-ברירה הבאות על ידי בחירת האפשרות הנכונה בהתאם להנחה. "
        "אנא בחרו את האפשרות הנכונה מבין שתי האפשרויות A ו-B.",
        "הנחה:", "מה הייתה הסיבה לכך?", "מה קרה כתוצאה מכך?",
        ("השמיים מחשיכים.", "עכשיו לילה.", "עכשיו צהריים."),
    ),
    "ar": Wording(
        "فيما يلي أسئلة اختيار من متعدد. يرجى اختيار الإجابة الأكثر منطقية من بين الخيارات التالية.",
        "السؤال:", "الإجابة:",
        "أجب عن أسئلة الاختيار من متعدد التالية باختيار الخيار الصحيح وفقًا للمقدمة. "
        "يرجى اختيار الإجابة الصحيحة من بين الخيارين A و B.",
        "المقدمة:", "ما سبب ذلك؟", "ماذا حدث نتيجة لذلك؟",
        ("السماء تظلم.", "إنه الليل.", "إنه الظهر."),
    ),
}


def wording(template: str, lang: str) -> Wording:
    if template == "paper":
        return PAPER
    if template == "native":
        if lang not in NATIVE:
            raise ConfigError(f"no native-language template for language {lang!r}; use --template paper")
        return NATIVE[lang]
    raise ConfigError(f"unknown prompt template {template!r}; choose one of {', '.join(TEMPLATES)}")


def _options_block(options: Sequence[str]) -> str:
    return "".join(f"{LETTERS[i]}. {text}\n" for i, text in enumerate(options))


def _example_options(n_options: int) -> tuple[tuple[str, ...], int]:
    """The one-shot "2+3=?" example: upstream shows 1,2,3,5 (+6 for x_csqa), answer D."""
    if n_options < 2:
        raise ConfigError(f"a multiple-choice item needs at least 2 options, got {n_options}")
    if n_options >= 4:
        return ("1", "2", "3", "5", "6", "7", "8", "9", "10", "11")[:n_options], 3
    return ("3", "5", "6")[3 - n_options:], n_options - 2  # "5" stays among the options


def _is_copa(item: Item) -> bool:
    return "copa_question" in item.meta


def prompt_prefix(item: Item, template: str) -> str:
    """Instruction + one-shot example: shared by all items of a task/lang/template."""
    w = wording(template, item.lang)
    if _is_copa(item):
        premise, right, wrong = w.copa_example
        return (f"{w.copa_instruction}\n{w.premise}{premise}\n{w.question}{w.cause}\n"
                f"{_options_block((right, wrong))}{w.answer}A. {right}\n\n")
    options, gold = _example_options(item.n_options)
    return (f"{w.instruction}\n{w.question}2+3=?\n{_options_block(options)}"
            f"{w.answer}{LETTERS[gold]}. {options[gold]}\n")


def prompt_body(item: Item, template: str) -> str:
    """The item itself, ending with the answer cue."""
    w = wording(template, item.lang)
    if _is_copa(item):
        kind = item.meta["copa_question"]
        if kind not in ("cause", "effect"):
            raise ConfigError(f"x_copa question must be 'cause' or 'effect', got {kind!r}", item.source or None)
        asked = w.cause if kind == "cause" else w.effect
        return f"{w.premise}{item.question}\n{w.question}{asked}\n{_options_block(item.options)}{w.answer}"
    return f"{w.question}{item.question}\n{_options_block(item.options)}{w.answer}"


def build_requests(items: Sequence[Item], template: str = "paper", mode: str = "letter") -> list[ChoiceRequest]:
    """One ChoiceRequest per item; letter mode scores "A", "B", ..., cloze mode " " + option text."""
    if mode not in MODES:
        raise ConfigError(f"unknown scoring mode {mode!r} for choice requests; choose one of {', '.join(MODES)}")
    requests = []
    prefixes: dict[tuple[str, str, int, bool], str] = {}  # the prefix is shared; render it once
    for item in items:
        key = (item.task, item.lang, item.n_options, _is_copa(item))
        if key not in prefixes:
            prefixes[key] = prompt_prefix(item, template)
        if mode == "letter":
            continuations = tuple(LETTERS[: item.n_options])
        else:
            continuations = tuple(CLOZE_DELIMITER + text for text in item.options)
        requests.append(ChoiceRequest(prefixes[key], prompt_body(item, template), continuations))
    return requests


def build_generate_prompts(items: Sequence[Item], template: str = "paper") -> list[str]:
    """Full prompts for generate mode (the paper's way: the model writes the answer)."""
    return [r.prompt for r in build_requests(items, template, "letter")]


def _probe_item(task: str, lang: str) -> Item:
    """A stand-in item whose rendering shows every fixed part of the recipe."""
    spec = task_spec(task)
    n = spec.n_options or 4
    meta = {"copa_question": "cause"} if task == "x_copa" else {}
    return Item(task, spec.stream, lang, "probe", "{question}", tuple(f"{{option{i}}}" for i in range(n)), 0, meta)


def prompt_hash(template: str, mode: str, task: str, lang: str) -> str:
    """Identifies the exact prompt recipe of (template, mode, task, lang); the store keys on it."""
    probe = _probe_item(task, lang)
    parts = [prompt_prefix(probe, template), prompt_body(probe, template)]
    if probe.meta:
        effect = Item(**{**probe.__dict__, "meta": {"copa_question": "effect"}})
        parts.append(prompt_body(effect, template))
    recipe = {"version": PROMPT_VERSION, "template": template, "mode": mode, "task": task, "lang": lang,
              "parts": parts, "cloze_delimiter": CLOZE_DELIMITER if mode == "cloze" else None}
    return hashlib.sha256(json.dumps(recipe, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


SENTINEL = "\x00clika-prompt\x00"


def chat_frame(render: Callable[[str], str]) -> tuple[str, str]:
    """(head, tail) a chat template puts around a user message.

    ``render(text)`` renders one user turn plus the generation prompt (e.g. via
    ``tokenizer.apply_chat_template``). The wrapped prompt is head + prompt + tail,
    so the shared prefix becomes head + prefix and the body becomes body + tail.
    """
    rendered = render(SENTINEL)
    if rendered.count(SENTINEL) != 1:
        raise ConfigError("the chat template does not render the user message verbatim exactly once")
    head, tail = rendered.split(SENTINEL)
    return head, tail


def wrap_chat(requests: Sequence[ChoiceRequest], frame: tuple[str, str]) -> list[ChoiceRequest]:
    head, tail = frame
    return [ChoiceRequest(head + r.prefix, r.body + tail, r.continuations) for r in requests]
