"""LoRA adapters on an encoder (peft): the layout a fine-tuned model stores, and merging the
stored weights into the encoder when the model is loaded, so judging costs what the plain
encoder costs. Training them is the lab's (lab/finetune.py); this is what loading needs.
"""

from stance.features import MentionEncoder
from stance.quiet import quiet_loading

# BERT's attention and feed-forward layers (MiniLM, e5-small), and MPNet's attention under its own names
LORA_TARGETS = ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense",
                "attn.q", "attn.k", "attn.v", "attn.o"]


def lora_config(rank: int, alpha: int, targets: list[str], layers: list[int] | None = None):
    from peft import LoraConfig

    return LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.1, target_modules=targets, bias="none",
                      layers_to_transform=layers)


def add_adapters(encoder: MentionEncoder, rank: int, alpha: int, targets: list[str], layers: list[int] | None = None) -> None:
    """LoRA adapters on `targets` of every layer, or only of `layers` (the top ones: training
    then back-propagates through those alone, which is what makes a 12-layer encoder trainable
    on a CPU)."""
    from peft import get_peft_model

    with quiet_loading():  # transformers' deprecation warnings for peft's calls
        encoder.model = get_peft_model(encoder.model, lora_config(rank, alpha, targets, layers))


def load_adapters(encoder: MentionEncoder, adapter: dict, state: dict) -> None:
    """Apply stored LoRA adapters to the encoder and merge them into its weights."""
    from peft import set_peft_model_state_dict

    add_adapters(encoder, adapter["rank"], adapter["alpha"], adapter["targets"], adapter.get("layers"))
    set_peft_model_state_dict(encoder.model, state)
    encoder.model = encoder.model.merge_and_unload().eval()
