import numpy as np

# A 2-D convolution written as Python loops over array elements.
H, W, K = 24, 20, 3
img = np.zeros((H, W))
for i in range(H):
    for j in range(W):
        img[i, j] = ((i * 7 + j * 3) % 11) * 0.5 - 1.25
kernel = np.array([[0.0625, 0.125, 0.0625], [0.125, 0.25, 0.125], [0.0625, 0.125, 0.0625]])
out = np.zeros((H - K + 1, W - K + 1))
for rep in range(3):
    out[:, :] = 0.0
    for i in range(H - K + 1):
        for j in range(W - K + 1):
            for di in range(K):
                for dj in range(K):
                    out[i, j] += img[i + di, j + dj] * kernel[di, dj]
print(out.shape, out.sum(), out.min(), out.max())
print(out[:3, :6])
print(out[5].tolist())
# The same with an int64 image and a vectorised check.
iimg = np.arange(H * W).reshape(H, W) % 9
ik = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
iout = np.zeros((H - K + 1, W - K + 1), dtype=np.int64)
for i in range(H - K + 1):
    for j in range(W - K + 1):
        s = 0
        for di in range(K):
            for dj in range(K):
                s += iimg[i + di, j + dj] * ik[di, dj]
        iout[i, j] = s
vec = np.zeros((H - K + 1, W - K + 1), dtype=np.int64)
for di in range(K):
    for dj in range(K):
        vec += iimg[di:di + H - K + 1, dj:dj + W - K + 1] * ik[di, dj]
print(iout.sum(), (iout == vec).all(), iout[0, :8], iout.max(), iout.argmax())
