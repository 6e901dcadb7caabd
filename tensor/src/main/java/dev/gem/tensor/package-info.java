/**
 * The data vocabulary every other module shares: element types ({@link dev.gem.tensor.DType}, one table),
 * and tensor views over memory segments ({@link dev.gem.tensor.Tensor}). Depends on nothing.
 */
package dev.gem.tensor;
