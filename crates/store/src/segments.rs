//! Customer segments: the external customer at the centre. (Being written.)
