"""Checks that Python's sentencepiece reads an lmtool subword model as lmtool does.

For each model directory and each text: the ids `lmtool tokenize --model DIR --ids`
prints must equal those of sentencepiece loading DIR/tokenizer.model and encoding each
line after NFC (and case folding, when the model folds case), with <eos> (id 1) after
every line; and sentencepiece's decoding of a line's ids must give the NFC line back.
"""
import argparse
import json
import re
import subprocess
import sys
import unicodedata

import sentencepiece


def lines_of(path):
    with open(path, encoding="utf-8") as file:
        text = file.read()
    text = text.removeprefix("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lmtool", required=True)
    parser.add_argument("--model", action="append", required=True, help="model directory (repeatable)")
    parser.add_argument("texts", nargs="+")
    arguments = parser.parse_args()
    failures = 0
    for directory in arguments.model:
        with open(f"{directory}/config.json", encoding="utf-8") as file:
            folds_case = json.load(file)["tokenizer"].get("lowercase", False)
        processor = sentencepiece.SentencePieceProcessor(model_file=f"{directory}/tokenizer.model")
        for text in arguments.texts:
            printed = subprocess.run(
                [arguments.lmtool, "tokenize", "--model", directory, "--ids", text],
                check=True, capture_output=True, text=True).stdout.splitlines()
            lines = lines_of(text)
            if len(printed) != len(lines):
                print(f"{directory} {text}: lmtool printed {len(printed)} lines for {len(lines)}")
                failures += 1
                continue
            pieces = 0
            for number, (line, output) in enumerate(zip(lines, printed), start=1):
                normalized = unicodedata.normalize("NFC", line.casefold() if folds_case else line)
                expected = processor.encode(normalized) + [1]
                found = [int(field) for field in output.split()]
                pieces += len(expected)
                if found != expected:
                    print(f"{directory} {text}:{number}: lmtool {found[:12]}... sentencepiece {expected[:12]}...")
                    failures += 1
                if processor.decode(expected[:-1]) != normalized:
                    print(f"{directory} {text}:{number}: sentencepiece does not decode the line back")
                    failures += 1
            print(f"subword check: {directory} on {text}: {len(lines)} lines, {pieces} ids, "
                  f"{'all equal' if failures == 0 else f'{failures} differences so far'}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
