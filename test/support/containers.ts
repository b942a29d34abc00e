import { GenericContainer, PullPolicy } from 'testcontainers';

/**
 * A container of a local image. Images are built on the machine and can never be pulled: without
 * this, an image check that fails under load (or a missing tag) makes testcontainers try a registry,
 * and the test fails on a DNS error that hides the real cause; now it fails naming the image.
 */
export function localContainer(image: string): GenericContainer {
  return new GenericContainer(image).withPullPolicy(PullPolicy.neverPull());
}
