// node scripts/make-icons.mjs — renders resources/icon.svg (the app's own artwork) to the PNG that
// electron-builder turns into every platform's icon (it needs at least 512 px; 1024 here).
import path from 'node:path';
import sharp from 'sharp';

const dir = path.resolve(import.meta.dirname, '../resources');
await sharp(path.join(dir, 'icon.svg')).resize(1024, 1024).png().toFile(path.join(dir, 'icon.png'));
console.log(`wrote ${path.join(dir, 'icon.png')}`);
