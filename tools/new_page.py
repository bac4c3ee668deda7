"""Start a new gallery page from the course's template: ``nox -s new_page -- "Title"``.

The page compares one change with the homework's baseline, three seeds
each, the way the course's pages do: the Keras a student writes in plain
sight, the runs trained side by side, a plot and a table, and a hidden block
of claim checks to fill in. It is written to
``examples/beyond_the_homework/plot_NN_<name>.py``, ``NN`` one above the
highest number in the gallery, and the script prints the next steps.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
INDEX = ROOT / "docs" / "index.rst"

TEMPLATE = '''r"""
{title}
{underline}

One paragraph: the question this page answers, and what changes against
the homework's baseline (Part 1's network, SGD at 0.01, ten epochs). It is
the page's description for search engines and its thumbnail's tooltip.

**What to look for in the plots:** what a reader should compare.

**Cost:** six 10-epoch runs (two configurations, three seeds each),
trained side by side.
"""

# License: BSD-3-Clause

# %%
# Setup
# -----
# :func:`~mnist_tutorial.data.load_dataset` gives Part 1's preprocessed
# arrays: images of shape (28, 28, 1) scaled to 0..1, and one-hot labels.
import functools

import keras
from keras import layers

from mnist_tutorial import data, plotting, reporting
from mnist_tutorial.replicates import train_replicates

dataset = data.load_dataset()

# %%
# The model
# ---------
# Part 1's network, with the change this page studies behind a switch, so
# that one function builds both. Replace the example change (a Dropout
# layer) with yours, and say here what it does.


def build_model(changed):
    # The layers are made in the network's order: Keras seeds each layer's
    # initial weights in the order the layers are made, so the baseline is
    # then exactly Part 1's model, whose runs are replayed, not trained again.
    network = [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(100, activation="relu"),
    ]
    if changed:
        network.append(layers.Dropout(0.25))  # the example change: edit this
    network.append(layers.Dense(10, activation="softmax"))
    model = keras.Sequential(network)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# %%
# Training is Part 1's ``model.fit`` call.


def fit(model, x_train, y_train, x_test, y_test, callbacks):
    return model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=10,
        validation_data=(x_test, y_test),
        callbacks=callbacks,
        verbose=0,
    )


# %%
# Train
# -----
# Three seeds of each configuration, side by side. The seeds are paired:
# seed 0 of the changed network starts from the same Keras seed as seed 0
# of the baseline. A layer that draws random numbers, as Dropout does,
# draws from that seed too, so the layers made after it start from other
# weights than the baseline's: say so where the page compares the two.
# The baseline's runs are Part 1's, so they are not trained again.
runs = train_replicates(
    {{
        "baseline": functools.partial(build_model, changed=False),
        "changed": functools.partial(build_model, changed=True),
    }},
    dataset,
    epochs=10,
    fit=fit,
)
baseline, changed = runs["baseline"], runs["changed"]

# %%
# Compare
# -------
figure = plotting.plot_curves(
    {{label: group.histories for label, group in runs.items()}},
    metric="val_accuracy",
    title="Validation accuracy",
)

# %%
# The mean over the three seeds and, in brackets, the lowest and the highest.
print(reporting.results_table(runs))
differences = changed.at("val_accuracy") - baseline.at("val_accuracy")
print(
    "Changed minus baseline, final validation accuracy, by seed: "
    + ", ".join(f"{{100 * value:+.2f}}" for value in differences)
    + " points"
)

# %%
# What the runs show
# ------------------
# Write each result as a sentence that says its direction, "on every seed"
# or "on average", and which epoch, and check each one in the hidden block
# below. Decide the bound before you look at the numbers.

# sphinx_gallery_start_ignore
from mnist_tutorial import claims, models, training

# The page's baseline is Part 1's model (so its runs are replayed): the same run key.
keys = []
for build in (functools.partial(build_model, changed=False), models.build_model):
    keras.utils.set_random_seed(0)
    keys.append(training.run_key(build(), dataset, epochs=10, batch_size=32, seed=0)[0])
claims.check(keys[0] == keys[1], "the page's baseline is models.build_model's")

# One check per sentence that states a result; see the authoring guide.
# "A beats B":  claims.ahead(a.at("val_accuracy"), b.at("val_accuracy"), "...")
# "A and B are tied": claims.tied(a.at("val_accuracy"), b.at("val_accuracy"), "...")
# A quantity: claims.at_least / at_most / within(values, limit(s), "...").
# Assigned: the last bare value of a cell would be shown on the page.
_ = claims.at_least(
    baseline.at("val_accuracy"),
    0.9,
    "the baseline ends above 90 % validation accuracy, on every seed",
)
# sphinx_gallery_end_ignore

# %%
# Try it yourself
# ---------------
# 1. **A first exercise.** What to change, in one sentence.
#
#    .. admonition:: What to look for
#       :class: dropdown
#
#       What to compare, and the question it answers. The page does not
#       run the exercise, so this states no result: a result belongs above,
#       with its check.

# %%
# Conclusion
# ----------
# What the page found, in two or three sentences, and where to go next.
'''


def page_name(title: str) -> str:
    """Return a title's file name stem: lower case words joined by underscores.

    Raises
    ------
    ValueError
        If the title has no letter or digit.
    """
    words = re.findall(r"[a-z0-9]+", title.lower())
    if not words:
        raise ValueError(f"title must contain letters or digits, got {title!r}")
    return "_".join(words[:6])


def next_number(examples: Path) -> int:
    """Return one above the highest ``plot_NN`` number under ``examples``."""
    numbers = [
        int(match.group(1))
        for path in examples.rglob("plot_*.py")
        if (match := re.match(r"plot_(\d+)_", path.name))
    ]
    return max(numbers, default=0) + 1


def write_page(title: str, examples: Path = EXAMPLES, folder: str = "beyond_the_homework") -> Path:
    """Write a new page from the template and return its path.

    Parameters
    ----------
    title : str
        The page's title, one line.
    examples : Path
        The gallery's source folder.
    folder : str
        The subfolder of ``examples`` the page goes to.

    Raises
    ------
    ValueError
        If the title is empty or spans lines, or ``folder`` does not exist.
    """
    title = title.strip()
    if not title or "\n" in title:
        raise ValueError(f"title must be one non-empty line, got {title!r}")
    target_folder = examples / folder
    if not target_folder.is_dir():
        raise ValueError(f"folder must be a folder of {examples}, got {folder!r}")
    target = target_folder / f"plot_{next_number(examples):02d}_{page_name(title)}.py"
    target.write_text(TEMPLATE.format(title=title, underline="=" * len(title)))
    return target


def add_to_index(page: Path, index: Path = INDEX, examples: Path = EXAMPLES) -> None:
    """List ``page`` on the home page, after the last page of its folder's list.

    The home page (``docs/index.rst``) shows each gallery folder's pages in
    a ``minigallery`` directive, one ``../examples/...`` path per line.

    Raises
    ------
    ValueError
        If ``index`` lists no page of the page's folder (there is no list to
        add it to), or lists the page already.
    """
    entry = f"../examples/{page.relative_to(examples).as_posix()}"
    folder = entry.rsplit("/", 1)[0] + "/"
    lines = index.read_text(encoding="utf-8").splitlines(keepends=True)
    if any(line.strip() == entry for line in lines):
        raise ValueError(f"{index} lists {entry} already")
    listed = [
        number
        for number, line in enumerate(lines)
        if line.strip().startswith(folder) and "/" not in line.strip()[len(folder) :]
    ]
    if not listed:
        raise ValueError(f"{index} has no list of the pages in {folder} to add {entry} to")
    last = listed[-1]
    indent = lines[last][: len(lines[last]) - len(lines[last].lstrip())]
    lines.insert(last + 1, f"{indent}{entry}\n")
    index.write_text("".join(lines), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Write the page and print the next steps; the exit status."""
    parser = argparse.ArgumentParser(prog="nox -s new_page --", description=__doc__)
    parser.add_argument("title", help='the page\'s title, such as "Dropout against the baseline"')
    arguments = parser.parse_args(argv)
    try:
        target = write_page(arguments.title)
        add_to_index(target)
    except ValueError as error:
        parser.error(str(error))
    relative = target.relative_to(ROOT)
    stem = target.stem
    sys.stdout.write(
        f"wrote {relative}, and listed it on the home page (docs/index.rst)\n"
        "next:\n"
        f"  1. edit {relative}: the summary, the change in build_model, the sentences and\n"
        "     their checks (docs/authoring.rst)\n"
        "  2. name its topic where the pages beyond the homework are described: the sentence\n"
        "     above their list in docs/index.rst, README.md's first paragraph, and\n"
        "     examples/beyond_the_homework/GALLERY_HEADER.rst\n"
        "  3. format it (a page reformatted later runs again), its quick checks (no\n"
        "     training), then every page on a small subset:\n"
        "       .venv/bin/nox -s fix\n"
        "       .venv/bin/nox -s tests -- tests/test_examples.py\n"
        "       .venv/bin/nox -s docs -- --draft\n"
        f"  4. read this page's claims, the closest calls first (a draft's may fail):\n"
        f"       .venv/bin/nox -s ledger -- {stem}\n"
        "  5. the real numbers (trains your runs; the other pages replay theirs, or train\n"
        "     them once where no full build ran before: docs/authoring.rst gives the times):\n"
        "       .venv/bin/nox -s docs\n"
        "  6. .venv/bin/nox -s lint tests, and docs_tests before you push\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
