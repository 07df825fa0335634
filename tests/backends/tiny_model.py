"""A tiny, randomly initialised causal LM with a real fast tokenizer, for tests.

``build_tiny_model(dir)`` writes a Hugging Face model directory (config, weights,
tokenizer with a chat template) that ``AutoModelForCausalLM`` / ``HFBackend`` /
lm-eval load like any real checkpoint. It takes well under 2 s and is
deterministic for a given seed. The tokenizer is a byte-level BPE trained on a
few lines in the ten CLiKA languages, so every script tokenises (unknown
characters fall back to bytes, never to <unk>).

arch: "llama" (LlamaForCausalLM) or "gemma3" (Gemma3ForCausalLM with the text
config: sliding/full attention layers, final logit soft-capping, tied embeddings).
"""

from __future__ import annotations

from pathlib import Path

TRAINING_LINES = [
    "The following are multiple choice questions. Please choose the most reasonable one from the following options.",
    "Question:What administrative division of Egypt is Alexandria in?\nA. Red Sea Governorate\nB. Alexandria\nAnswer:B",
    "Premise:The sky turns dark.\nQuestion:What was the cause of this?\nA. It's night.\nB. It's noon.\nAnswer:A",
    "亚历山大港位于埃及的哪个行政区划？以下是多项选择题。答案：",
    "アレクサンドリアはエジプトのどの行政区にありますか？以下は多肢選択問題です。答え：",
    "Dans quelle division administrative de l'Égypte se trouve Alexandrie ? Réponse :",
    "In welchem Verwaltungsbezirk von Ägypten liegt Alexandria? Antwort:",
    "In quale divisione amministrativa dell'Egitto si trova Alessandria? Risposta:",
    "В каком административном делении Египта находится Александрия? Ответ:",
    "W jakim podziale administracyjnym Egiptu znajduje się Aleksandria? Odpowiedź:",
    "באיזו חלוקה מנהלית של מצרים נמצאת אלכסנדריה? תשובה:",
    "في أي تقسيم إداري لمصر تقع مدينة الإسكندرية؟ الإجابة:",
    "In what year was Houari Boumediene born? 1820 1828 1838 1932 2+3=? 5",
]
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_tokenizer(vocab_size: int = 600):
    """A PreTrainedTokenizerFast: byte-level BPE, BOS "<s>" prepended, ChatML template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(TRAINING_LINES, trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]),
    ])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
        chat_template=CHAT_TEMPLATE, clean_up_tokenization_spaces=False,
    )


def _config(arch: str, vocab_size: int, tokenizer):
    ids = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
               pad_token_id=tokenizer.pad_token_id)
    if arch == "llama":
        from transformers import LlamaConfig

        return LlamaConfig(
            vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
            initializer_range=0.2, tie_word_embeddings=False, **ids,
        )
    if arch == "gemma3":
        from transformers import Gemma3TextConfig

        return Gemma3TextConfig(
            vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=2, num_key_value_heads=1, head_dim=32, query_pre_attn_scalar=32,
            layer_types=["sliding_attention", "full_attention"], sliding_window=512,
            final_logit_softcapping=30.0, max_position_embeddings=1024, initializer_range=0.2,
            tie_word_embeddings=True, **ids,
        )
    raise ValueError(f"unknown tiny arch {arch!r}: 'llama' or 'gemma3'")


def build_tiny_model(dir: Path, arch: str = "llama", seed: int = 0) -> Path:
    """Write a tiny random causal LM + tokenizer into ``dir``; returns ``dir``."""
    import torch
    from transformers import AutoModelForCausalLM

    dir = Path(dir)
    tokenizer = build_tiny_tokenizer()
    config = _config(arch, len(tokenizer), tokenizer)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.eval()
    model.save_pretrained(dir)
    tokenizer.save_pretrained(dir)
    return dir
