# Writes opencv_circles.json: the pixels of OpenCV's filled circle, the
# reference generator's cv2.circle(img, center, size, color, -1), for every
# radius clevrlite's half_size allows. Not run by the tests or CI; run it in
# a scratch venv with `pip install opencv-python-headless numpy`:
#   python opencv_circles.py > opencv_circles.json   (then reformat, one radius a line)
import cv2, numpy as np, json, sys
# For each radius the config allows (2..50), the filled circle cv2.circle draws
# at an integer center with thickness -1 (the reference's call), as the
# half-width of each row dy = -r..r (-1: row empty).
out = {"opencv": cv2.__version__, "radii": {}}
for r in range(2, 51):
    n = 2*r + 11
    img = np.zeros((n, n), np.uint8)
    c = n // 2
    cv2.circle(img, (c, c), r, 255, -1)
    rows = []
    for y in range(n):
        xs = np.nonzero(img[y])[0]
        if len(xs) == 0:
            continue
        lo, hi = xs.min(), xs.max()
        assert len(xs) == hi - lo + 1, "row not contiguous"
        assert c - lo == hi - c, "row not symmetric"
        rows.append([int(y - c), int(hi - c)])
    out["radii"][str(r)] = {"pixels": int((img > 0).sum()), "rows": rows}
json.dump(out, sys.stdout)
