"""Action classes, the mocap contents that feed them, and which takes are held out for testing.

The shipped mocap is labelled by content (Bandai Namco file names, listed in each dataset's
`cfg/content_label.txt`; LAFAN1 file names; CMU descriptions, `data.mocap`). Each content maps
to one action class: the take's active span gets the class and every Bandai Namco and CMU take's
still lead-in and lead-out become `stand` (CMU's drinking, bottle opening and laughing, all
standing in place with busy hands, are `stand` throughout). Contents of mixed activities are
labelled frame by frame (`action_data.label_frames`): LAFAN1's fall takes (fall, floor, stand),
CMU's sitting takes (`sit` while the hips are lowered and while sitting down and standing up,
`stand`) and CMU's exercise and pick-up takes (`squat` while the hips are lowered on bent knees,
the rest unlabelled). Every CMU content is either mapped (CONTENT_CLASSES, FRAME_LABELLED) or
left out with its reason (CMU_EXCLUDED). docs/actions.md has the table.

Hold-out rule (test takes), kept inside `data.splits.is_validation_take` so the default lifter
never saw a test take:
- bandai-namco-2: take 006 (every content, every style);
- bandai-namco-1: style 'active'; contents recorded only in style 'normal': take 002 where
  there are two takes (call, punch, slash), the last TEST_FRACTION of the frames of single-take
  contents (kick, dance-short; respond, 3.5 s long, only trains);
- lafan1: subject 2's takes (a whole other actor: fallAndGetUp2_subject2, ground2_subject2);
  the single dance take is split in time like kick;
- cmu: the lifter's CMU rule (subject 08's walks, one dance take per style), but of subject 14
  (held out whole by the lifter; it performs nearly all sitting and a third of the climbing)
  only CMU_SUBJECT14_TESTS, one take per sitting and climbing content, so that sitting does not
  train on a single take; contents of a single subject with no take in the lifter's held-out
  set (boxing, squats, pick-ups) are split in time like kick; jumps only train.
"""

from __future__ import annotations

from posemachines.data.splits import is_cmu_validation_take, is_validation_take

#: Class names; a classifier's output k means ACTION_CLASSES[k].
ACTION_CLASSES: tuple[str, ...] = (
    "stand", "walk", "walk_backward", "walk_turn", "run", "bow", "wave", "raise_hand",
    "gesture", "strike", "dance", "fall", "floor", "sit", "squat", "jump", "climb",
)
ACTION_INDEX = {name: index for index, name in enumerate(ACTION_CLASSES)}
#: The label of poses in a stretch between gaps too short for one window.
UNKNOWN = "unknown"
#: Frames carrying this label belong to no class (unlabelled passages of mixed LAFAN1 takes).
UNLABELLED = -1
#: Share of a single-take content's frames (at its end) held out for testing.
TEST_FRACTION = 0.3

#: (source, content) -> class of the take's active span. walk-left/right of Bandai Namco 1
#: walk diagonally (~20 degrees off the facing direction, no turn), so they count as walks.
#: punch, kick and slash have one training take each, too few to tell them apart on held-out
#: takes (docs/actions.md), so they form one class: strike.
CONTENT_CLASSES: dict[tuple[str, str], str] = {
    ("bandai-namco-1", "walk"): "walk",
    ("bandai-namco-1", "walk-left"): "walk",
    ("bandai-namco-1", "walk-right"): "walk",
    ("bandai-namco-2", "walk"): "walk",
    ("bandai-namco-1", "walk-back"): "walk_backward",
    ("bandai-namco-2", "walk-turn-left"): "walk_turn",
    ("bandai-namco-2", "walk-turn-right"): "walk_turn",
    ("bandai-namco-1", "run"): "run",
    ("bandai-namco-1", "dash"): "run",
    ("bandai-namco-2", "run"): "run",
    ("bandai-namco-1", "bow"): "bow",
    ("bandai-namco-1", "bye"): "wave",
    ("bandai-namco-1", "byebye"): "wave",
    ("bandai-namco-2", "wave-both-hands"): "wave",
    ("bandai-namco-2", "wave-left-hand"): "wave",
    ("bandai-namco-2", "wave-right-hand"): "wave",
    ("bandai-namco-2", "raise-up-both-hands"): "raise_hand",
    ("bandai-namco-2", "raise-up-left-hand"): "raise_hand",
    ("bandai-namco-2", "raise-up-right-hand"): "raise_hand",
    ("bandai-namco-1", "guide"): "gesture",
    ("bandai-namco-1", "call"): "gesture",
    ("bandai-namco-1", "respond"): "gesture",
    ("bandai-namco-1", "punch"): "strike",
    ("bandai-namco-1", "kick"): "strike",
    ("bandai-namco-1", "slash"): "strike",
    ("bandai-namco-1", "dance-long"): "dance",
    ("bandai-namco-1", "dance-short"): "dance",
    ("lafan1", "dance"): "dance",
    # Frame by frame from the gait (`action_gait`): walking straight, and turning (on the spot
    # too, which no other take does) as walk_turn.
    ("lafan1", "walk"): "walk",
    # CMU: the description names the class (the take's still ends become stand).
    ("cmu", "walk"): "walk",
    ("cmu", "slow-walk"): "walk",
    ("cmu", "brisk-walk"): "walk",
    ("cmu", "walk-stride"): "walk",
    ("cmu", "slow-walk-stride"): "walk",
    ("cmu", "walk-on-uneven-terrain"): "walk",
    ("cmu", "start-walk-stop"): "walk",
    ("cmu", "run"): "run",
    ("cmu", "run-jog"): "run",
    ("cmu", "punch-strike"): "strike",
    ("cmu", "boxing"): "strike",
    ("cmu", "swordplay"): "strike",
    ("cmu", "dance"): "dance",
    ("cmu", "salsa-dance"): "dance",
    ("cmu", "indian-dance"): "dance",
    ("cmu", "jump"): "jump",
    ("cmu", "forward-jump"): "jump",
    ("cmu", "start-hop-stop"): "jump",
    ("cmu", "climb-ladder"): "climb",
    ("cmu", "climb-3-steps"): "climb",
    # Arm signals while standing in place, like BN1's guide and call: gesture.
    ("cmu", "direct-traffic"): "gesture",
    # Standing in place with the hands busy: stand (no class for the handling itself).
    ("cmu", "drink-soda"): "stand",
    ("cmu", "unscrew-bottlecap"): "stand",
}
#: Contents labelled frame by frame from the hips' height (`action_data`): content -> class of
#: the lowered passages (sitting down, seated, standing up; squatting down and up).
FRAME_LABELLED: dict[tuple[str, str], str] = {
    ("cmu", "sit-on-high-stool"): "sit",
    ("cmu", "sit-on-stepstool"): "sit",
    ("cmu", "jumping-jacks"): "squat",
    ("cmu", "bend-over"): "squat",
}
_WASHING = ("washing with large arm strokes, often bent over: neither standing still nor a "
            "gesture, and like waving from the arms alone")
#: CMU contents that feed no class, and why.
CMU_EXCLUDED: dict[str, str] = {
    "martial-dance": "acRNN 'martial' takes are martial-arts forms: stances, kicks and punches "
                     "in one choreography, neither a dance nor single strikes",
    "soccer": "walks or runs up to the ball before each kick (22-67% of the frames), so the "
              "active span would label the run-up strike",
    "navigate": "walks forward, backward and sideways in one take (walk, walk_backward and a "
                "sideways gait no class has)",
    "basketball": "dribbling while walking or running; the ball-handling arms fit no class",
    "playground": "climbing, hanging, sitting and jumping on playground equipment in one take: "
                  "mixed classes with no frame labels",
    "jump-up-to-grab": "mostly reaching up on tiptoe, with a few small jumps: mixed",
    "laugh": "laughing hard: the torso doubles over and shakes, the arms swing wide and the "
             "feet shuffle (measured: wrists 1.4, feet 0.6 leg lengths/s, against 0.2 and 0.05 "
             "for drinking or opening a bottle): neither standing still nor a gesture, and as "
             "`stand` it made up 60 % of that class's windows",
    "wash-self": _WASHING,
    "wash-windows": _WASHING,
}
#: LAFAN1 takes labelled frame by frame: falls (detected) -> fall, down on the floor and
#: getting up -> floor, standing still -> stand, the rest unlabelled.
FALL_CONTENTS: frozenset[str] = frozenset({"fallAndGetUp", "pushAndFall", "ground"})
#: Single-take contents whose last TEST_FRACTION is held out.
SPLIT_IN_TIME: frozenset[tuple[str, str]] = frozenset({
    ("bandai-namco-1", "kick"), ("bandai-namco-1", "dance-short"), ("lafan1", "dance"),
    ("cmu", "boxing"), ("cmu", "jumping-jacks"), ("cmu", "bend-over"),
})
#: Subject 14's takes held out for testing (one per sitting and climbing content); its other
#: takes train (the lifter holds all of subject 14 out, so none of them is seen twice).
CMU_SUBJECT14_TESTS: frozenset[str] = frozenset({"14/14_27", "14/14_31", "14/14_22", "14/14_34"})
#: Two-take contents recorded only in style 'normal': this take is held out.
_SECOND_TAKE_TESTS = frozenset({"call", "punch", "slash"})


def action_for_content(source: str, content: str) -> str | None:
    """The class a take's active span feeds; for LAFAN1, 'fall/floor' (fall takes) or 'stand'
    (takes of mixed activities, of which only the still upright passages are used); for
    FRAME_LABELLED contents, the class of their lowered passages."""
    if (source, content) in FRAME_LABELLED:
        return FRAME_LABELLED[(source, content)]
    if source == "lafan1" and content in FALL_CONTENTS:
        return "fall/floor"
    if source == "lafan1" and (source, content) not in CONTENT_CLASSES:
        return "stand"
    return CONTENT_CLASSES.get((source, content))


def is_test_take(source: str, content: str, style: str, take: str) -> bool:
    """True for whole takes held out for testing (see the module docstring)."""
    if source == "lafan1":
        return take.endswith("subject2")
    if source == "bandai-namco-1" and content in _SECOND_TAKE_TESTS:
        return take == "002"
    if source == "cmu" and take.rsplit("/", 1)[-1].startswith("14_"):
        return take in CMU_SUBJECT14_TESTS
    if source == "cmu":
        return is_cmu_validation_take(take)
    return is_validation_take(source, style, take)


def is_split_in_time(source: str, content: str) -> bool:
    """True for single-take contents whose last TEST_FRACTION of frames is held out."""
    return (source, content) in SPLIT_IN_TIME
