// The training screen: controls, the Advanced drawer, the metrics dashboard (with the taste meter's curve), the checkpoint gallery and the checkpoint list.
import { AdvancedDrawer } from '../components/AdvancedDrawer';
import { CheckpointList } from '../components/CheckpointList';
import { CheckpointGallery } from '../components/CheckpointGallery';
import { TrainingControls } from '../components/TrainingControls';
import { Dashboard } from '../charts/Dashboard';

export function TrainView() {
  return (
    <div className="train-view" data-testid="train-view">
      <TrainingControls />
      <AdvancedDrawer />
      <Dashboard />
      <CheckpointGallery />
      <CheckpointList />
    </div>
  );
}
